import { newId } from '../../../db/ids.js';
import type { Owner, OwnerColumns } from '../../../db/owners.js';
import type { ServerContext } from '../../context.js';
import { passwordRef } from './key-access.js';
import * as repo from './keys-repo.js';
import { clearReplacedKeys } from './rotation-repo.js';

type Db = Parameters<typeof repo.insertKey>[0];

/** A key new to the library, placed on its volume already. */
export interface KeyToStore {
  id: string;
  protectorHex: string;
  /** The recovery password, or for a LUKS key the recovery passphrase. */
  secret: string;
  /** For a LUKS key: its volume's LUKS UUID (32 upper-case hex digits) and key slot. */
  luks?: { uuidHex: string; slot: number } | undefined;
  volumeId: string;
  source: string;
  /** When the key was made (an import of older keys gives theirs). */
  createdAt: string;
  proven: boolean;
  /** Who stored it; null for an enrolled device. */
  actorUserId: string | null;
  /** False for a drive just added: it has no older keys whose rotation marks to clear. */
  volumeHasOlderKeys: boolean;
}

/**
 * Writes a new key, in the caller's transaction, the one way every path that adds a key does:
 * its row (being stored in the library is its first backup), the rotation marks of the drive's
 * older keys cleared (the new key replaces them), its sealed secret and its backup record.
 */
export async function storeNewKey(
  ctx: ServerContext,
  db: Db,
  owner: Owner,
  key: KeyToStore,
): Promise<void> {
  const at = ctx.now().toISOString();
  await repo.insertKey(db, owner, newKeyRow(key, at));
  if (key.volumeHasOlderKeys) {
    await clearReplacedKeys(db, key.volumeId, { id: key.id, createdAt: key.createdAt });
  }
  // A new key has no secret yet: create it without looking for one to replace.
  await ctx.secrets.create(db, passwordRef(owner, key.id), key.secret);
  await repo.insertBackupRecord(db, firstBackupRecord(key.id, key.actorUserId, at));
}

/** What a key's first row is made from. */
export type NewKeyFields = Pick<
  KeyToStore,
  'id' | 'protectorHex' | 'luks' | 'volumeId' | 'source' | 'createdAt' | 'proven'
>;

/**
 * A key's row as it is first stored, at `at`: being stored in the library counts as its first
 * backup, and it waits for no rotation.
 */
export function newKeyRow(key: NewKeyFields, at: string): Omit<repo.KeyRow, keyof OwnerColumns> {
  return {
    id: key.id,
    protector_hex: key.protectorHex,
    kind: key.luks ? 'luks' : 'bitlocker',
    luks_uuid_hex: key.luks?.uuidHex ?? null,
    luks_slot: key.luks?.slot ?? null,
    volume_id: key.volumeId,
    source: key.source,
    backup_count: 1,
    last_backup_destination: 'account',
    last_backup_at: at,
    offline_backup_at: null,
    in_vault_at: null,
    deleted_at: null,
    created_at: key.createdAt,
    updated_at: at,
    rotation_required_at: null,
    proven_at: key.proven ? at : null,
  };
}

/** The record of a new key's first backup: the library itself. */
export function firstBackupRecord(
  keyId: string,
  actorUserId: string | null,
  at: string,
): repo.BackupRow {
  return {
    id: newId(),
    key_id: keyId,
    destination: 'account',
    note: null,
    actor_user_id: actorUserId,
    at,
  };
}
