import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { ownerFromColumns } from '../db/owners.js';
import type { DatabaseSchema } from '../db/schema.js';
import { dataMessages } from '../operations/data-messages.js';
import { rewrapValue, SecretIntegrityError } from './envelope.js';
import {
  generateMasterKey,
  MasterKeyError,
  parseMasterKeys,
  writeMasterKeyFile,
  type Keyring,
} from './master-key.js';

export interface RewrapResult {
  rewrapped: number;
  /** Rows whose data key no master key opens: altered in the database, unreadable for good. */
  damaged: string[];
}

/**
 * Re-wraps every data key not yet under the keyring's current master key. Each row is updated
 * only if nobody changed it meanwhile, so it is safe while servers keep writing; rows written by
 * a server that had not yet noticed the new key are picked up by the next pass.
 */
export async function rewrapAllSecrets(
  db: Kysely<DatabaseSchema>,
  keyring: Keyring,
  batchSize = 200,
): Promise<RewrapResult> {
  const damaged = new Set<string>();
  let rewrapped = 0;
  for (;;) {
    const target = keyring.current();
    let afterId = '';
    let changedInPass = 0;
    let pending = 0;
    for (;;) {
      const rows = await db
        .selectFrom('sealed_secrets')
        .selectAll()
        .where('key_version', '<>', target.version)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      afterId = rows.at(-1)?.id ?? afterId;
      for (const row of rows) {
        if (damaged.has(row.id)) continue;
        pending += 1;
        let sealed;
        try {
          sealed = rewrapValue(
            keyring.byVersion(row.key_version),
            target,
            {
              secretId: row.id,
              kind: row.kind,
              boundId: row.bound_id,
              owner: ownerFromColumns(row),
            },
            {
              keyVersion: row.key_version,
              wrappedKey: row.wrapped_key,
              ciphertext: row.ciphertext,
            },
          );
        } catch (error) {
          if (!(error instanceof SecretIntegrityError)) throw error;
          damaged.add(row.id);
          continue;
        }
        const result = await db
          .updateTable('sealed_secrets')
          .set({ key_version: sealed.keyVersion, wrapped_key: sealed.wrappedKey })
          .where('id', '=', row.id)
          .where('key_version', '=', row.key_version)
          .where('wrapped_key', '=', row.wrapped_key)
          .executeTakeFirst();
        changedInPass += Number(result.numUpdatedRows);
      }
    }
    rewrapped += changedInPass;
    // Done when nothing but damaged rows is left; a row a server rewrote meanwhile gets another pass.
    if (pending === 0 || changedInPass === 0) return { rewrapped, damaged: [...damaged] };
  }
}

export interface RotationResult {
  newVersion: number;
  rewrapped: number;
  /** Old versions removed from the key file (none when `keepOld` or when rows were damaged). */
  retiredVersions: number[];
  damaged: string[];
}

/**
 * Adds a new master key version to the key file, re-wraps every data key under it, and then
 * (unless `keepOld`) removes the old versions from the file. Running servers pick up the new
 * version from the file by themselves; nothing needs a restart.
 */
export async function rotateMasterKey(
  db: Kysely<DatabaseSchema>,
  keyring: Keyring,
  { keepOld = false, settleMs = 2000 }: { keepOld?: boolean; settleMs?: number } = {},
): Promise<RotationResult> {
  const file = keyring.file;
  if (!file) {
    throw new MasterKeyError(dataMessages.cannotRotateSource(keyring.source));
  }
  const existing = parseMasterKeys(readFileSync(file, 'utf8'), file);
  const newKey = generateMasterKey(Math.max(...existing.map((k) => k.version)) + 1);
  writeMasterKeyFile(file, [...existing, newKey]);

  const first = await rewrapAllSecrets(db, keyring);
  // A server that sealed a secret just before it saw the new file may commit it a moment later.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const second = await rewrapAllSecrets(db, keyring);
  let rewrapped = first.rewrapped + second.rewrapped;
  const damaged = second.damaged;
  const kept = { newVersion: newKey.version, retiredVersions: [], damaged };

  if (keepOld || damaged.length > 0) return { ...kept, rewrapped };
  const countOld = async (): Promise<number> => {
    const row = await db
      .selectFrom('sealed_secrets')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('key_version', '<>', newKey.version)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  };
  if ((await countOld()) > 0) {
    throw new MasterKeyError(dataMessages.oldVersionsStay(file));
  }
  writeMasterKeyFile(file, [newKey]);
  // Should a late write still have used an old key, put the old keys back rather than lose it.
  if ((await countOld()) > 0) {
    writeMasterKeyFile(file, [...existing, newKey]);
    rewrapped += (await rewrapAllSecrets(db, keyring)).rewrapped;
    return { ...kept, rewrapped };
  }
  return { ...kept, rewrapped, retiredVersions: existing.map((k) => k.version) };
}
