import { newId } from '../../../db/ids.js';
import { organisationOwner, type Owner } from '../../../db/owners.js';
import type { VolumeType } from '../../../db/schema.js';
import type { ServerContext } from '../../context.js';
import { assignDevice, memberByEmail } from './devices-repo.js';
import { passwordRef } from './key-access.js';
import * as repo from './keys-repo.js';
import { nameTerms, normalizeName } from './normalize.js';
import { markedKeysOfDevice } from './rotation-repo.js';
import { storeNewKey } from './store-key.js';
import type { Db } from './owner-filter.js';

/**
 * What enrolled devices write into their organisation's library: the device row an enrollment
 * ties its credential to, and the drives and keys the device reports. The enrollment feature
 * decides who may write; this decides where each key goes, as adding a key by hand would.
 */

export interface EscrowDrive {
  label: string;
  type: VolumeType;
  volumeGuid: string | null;
  protectorTypes: string[];
  keys: EscrowKey[];
}

export interface EscrowKey {
  /** BitLocker: the Key ID; LUKS: the identifier the agent gave the recovery slot. */
  protectorHex: string;
  /** The recovery password, or for a LUKS key the recovery passphrase. */
  recoveryPassword: string;
  /** For a LUKS key: its volume's LUKS UUID (32 upper-case hex digits) and key slot. */
  luks?: { uuidHex: string; slot: number };
}

export type EscrowOutcome = 'created' | 'unchanged' | 'conflict';

/**
 * The organisation's device named `name`: the existing one of that name (a device a person added
 * keys for by hand becomes the enrolled one), else a new one; assigned to `assignee` when given.
 * With `fresh`, a name in use gets a number instead ("PC-7 (2)"), for a second enrollment of one
 * computer that is kept beside the first.
 */
export async function deviceForEnrollment(
  ctx: ServerContext,
  db: Db,
  organisationId: string,
  { name, assignee, fresh }: { name: string; assignee: string | null; fresh: boolean },
): Promise<{ id: string; name: string }> {
  const owner = organisationOwner(organisationId);
  const at = ctx.now().toISOString();
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${name} (${n})`;
    const existing = await repo.findDeviceByName(db, owner, normalizeName(candidate));
    if (existing && fresh) continue;
    if (existing) {
      if (assignee !== null) await assignDevice(db, owner, existing.id, assignee, at);
      return existing;
    }
    const id = newId();
    await repo.insertDevice(db, owner, {
      id,
      name: candidate,
      nameNormalized: normalizeName(candidate),
      terms: nameTerms(candidate).filter((term) => term !== ''),
      at,
      seenAt: at,
    });
    if (assignee !== null) await assignDevice(db, owner, id, assignee, at);
    return { id, name: candidate };
  }
}

/** The member of the organisation with this (normalized) email, if there is one. */
export async function organisationMember(
  db: Db,
  organisationId: string,
  emailNormalized: string,
): Promise<string | undefined> {
  return (await memberByEmail(db, organisationId, emailNormalized))?.id;
}

async function volumeOnDevice(
  db: Db,
  owner: Owner,
  deviceId: string,
  drive: EscrowDrive,
  at: string,
): Promise<string> {
  const found = await repo.findVolume(db, deviceId, drive);
  const protectorTypes = JSON.stringify([...new Set(drive.protectorTypes)].sort());
  if (!found) {
    const id = newId();
    await repo.insertVolume(db, owner, { id, deviceId, ...drive, at });
    await repo.setProtectorTypes(db, id, protectorTypes);
    return id;
  }
  if (found.label !== drive.label || found.type !== drive.type) {
    await repo.updateVolume(db, found.id, { label: drive.label, type: drive.type, at });
  }
  await repo.setProtectorTypes(db, found.id, protectorTypes);
  return found.id;
}

/**
 * Stores what a device reported for its drives, in the caller's transaction: each drive on the
 * device (by volume GUID, else label) with the protector types it has now, each key new to the
 * library as a key of that drive. A key already stored with the same password is `unchanged`
 * (and moves to this drive if it was elsewhere); one stored with a different password is a
 * `conflict` and is left as it was.
 */
export async function escrowDeviceKeys(
  ctx: ServerContext,
  db: Db,
  {
    organisationId,
    deviceId,
    source,
  }: { organisationId: string; deviceId: string; source: string },
  drives: EscrowDrive[],
): Promise<{ protectorHex: string; outcome: EscrowOutcome }[]> {
  const owner = organisationOwner(organisationId);
  const at = ctx.now().toISOString();
  await repo.markDeviceSeen(db, deviceId, at);
  const outcomes: { protectorHex: string; outcome: EscrowOutcome }[] = [];
  for (const drive of drives) {
    const volumeId = await volumeOnDevice(db, owner, deviceId, drive, at);
    for (const key of drive.keys) {
      const existing = await repo.findKeyByProtector(db, owner, key.protectorHex);
      if (existing) {
        const stored = await ctx.secrets.getText(db, passwordRef(owner, existing.id));
        if (stored !== key.recoveryPassword) {
          outcomes.push({ protectorHex: key.protectorHex, outcome: 'conflict' });
          continue;
        }
        if (existing.volume_id !== volumeId || existing.deleted_at !== null) {
          await repo.updateKey(db, owner, existing.id, {
            volume_id: volumeId,
            deleted_at: null,
            updated_at: at,
          });
        }
        outcomes.push({ protectorHex: key.protectorHex, outcome: 'unchanged' });
        continue;
      }
      await storeNewKey(ctx, db, owner, {
        id: newId(),
        protectorHex: key.protectorHex,
        secret: key.recoveryPassword,
        luks: key.luks,
        volumeId,
        source,
        createdAt: at,
        proven: false,
        actorUserId: null,
        volumeHasOlderKeys: true,
      });
      outcomes.push({ protectorHex: key.protectorHex, outcome: 'created' });
    }
  }
  return outcomes;
}

/**
 * The device's keys waiting for rotation (revealed, or marked by an admin), as 32 upper-case hex
 * digits: what the agent replaces on its next run.
 */
export async function keysToRotate(
  db: Db,
  organisationId: string,
  deviceId: string,
): Promise<string[]> {
  return markedKeysOfDevice(db, organisationOwner(organisationId), deviceId);
}
