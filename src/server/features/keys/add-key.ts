import { requireConfirmedAddress } from '../auth/index.js';
import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { isTransientConflict, isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import { ownerColumns, type Owner } from '../../../db/owners.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { fieldReasons } from '../../messages.js';
import { authorize, type Library, type LibraryAccess } from '../../policies.js';
import type { AuditEvent } from '../audit/index.js';
import { assignDevice } from './devices-repo.js';
import { assigneeByEmail } from './devices.js';
import { librarySubject, notFoundLibrary, passwordRef, summaryOrThrow } from './key-access.js';
import * as repo from './keys-repo.js';
import {
  KeyConflictError,
  maximumNameLength,
  placementAfterSave,
  storedPlacement,
  validateNewKey,
  type DetailField,
  type NewKeyInput,
  type Placement,
  type ValidKey,
} from './new-key.js';
import { nameTerms, normalizeName } from './normalize.js';
import { firstBackupRecord, newKeyRow, storeNewKey } from './store-key.js';
import { keySummary, type KeySummary } from './summary.js';

type Db = Parameters<typeof repo.insertKey>[0];

function hasVolumeGuid(placement: Placement): boolean {
  return placement.volume.volumeGuid !== null && placement.volume.volumeGuid !== '';
}

/**
 * Finds or creates the device and volume a key belongs to; returns the volume id. The device
 * counts as seen at `seenAt` (when the key was made, for an import of older keys).
 */
async function placeKey(
  db: Db,
  owner: Owner,
  key: Placement,
  at: string,
  seenAt: string = at,
): Promise<{ volumeId: string; newVolume: boolean }> {
  const nameNormalized = normalizeName(key.deviceName);
  const device = await repo.findDeviceByName(db, owner, nameNormalized);
  const newVolume = async (deviceId: string) => {
    const id = newId();
    await repo.insertVolume(db, owner, { id, deviceId, ...key.volume, at });
    return { volumeId: id, newVolume: true };
  };
  if (!device) {
    const deviceId = newId();
    await repo.insertDevice(db, owner, {
      id: deviceId,
      name: key.deviceName,
      nameNormalized,
      terms: nameTerms(key.deviceName).filter((term) => term !== ''),
      at,
      seenAt,
    });
    return newVolume(deviceId);
  }
  if (device.name !== key.deviceName) {
    await repo.renameDevice(db, device.id, key.deviceName, at);
  }
  await repo.markDeviceSeen(db, device.id, seenAt);
  const volume = await repo.findVolume(db, device.id, key.volume);
  if (!volume) return newVolume(device.id);
  if (volume.label !== key.volume.label || volume.type !== key.volume.type) {
    await repo.updateVolume(db, volume.id, { ...key.volume, at });
  }
  return { volumeId: volume.id, newVolume: false };
}

export type StoreOutcome = 'created' | 'updated';

export interface Stored {
  id: string;
  outcome: StoreOutcome;
  /** The details of a stored key this save changed (empty for a new key). */
  updated: DetailField[];
  /** Where the key lives now. */
  placement: Placement;
}

/**
 * Stores a key in the caller's transaction: a new key, or (same Key ID, same password) the
 * details the person gave for the stored one, which also brings it back from the bin. Details
 * not given keep their stored values. A different password under the same Key ID throws
 * KeyConflictError before anything is written. `requireDeviceName` refuses a new key without a
 * device name (the form and the CLI always know one; an import may not).
 */
export async function storeKey(
  ctx: ServerContext,
  db: Db,
  caller: Caller,
  access: LibraryAccess,
  key: ValidKey,
  {
    requireDeviceName = false,
    createdAt,
  }: {
    requireDeviceName?: boolean;
    /** When the key was made, for keys moved in from another system; now when not given. */
    createdAt?: string | undefined;
  } = {},
): Promise<Stored> {
  const owner = access.owner;
  const at = ctx.now().toISOString();
  const madeAt = createdAt ?? at;
  const existing = await repo.findKeyByProtector(db, owner, key.protectorHex);
  if (existing) {
    const stored = await ctx.secrets.getText(db, passwordRef(owner, existing.id));
    if (stored !== key.recoveryPassword) {
      throw new KeyConflictError(parseProtectorId(key.protectorHex));
    }
    const row = await repo.findKeySummary(db, owner, existing.id);
    if (!row) throw new Error(`recovery key ${existing.id} has no device or volume`);
    const { placement, updated } = placementAfterSave(key.given, storedPlacement(row), true);
    await repo.updateKey(db, owner, existing.id, {
      ...(updated.length > 0
        ? { volume_id: (await placeKey(db, owner, placement, at)).volumeId }
        : {}),
      deleted_at: null,
      updated_at: at,
      ...(key.proven ? { proven_at: at } : {}),
    });
    if (updated.length === 0) await repo.markVolumeDeviceSeen(db, existing.volume_id, at);
    return { id: existing.id, outcome: 'updated', updated, placement };
  }
  const { placement } = placementAfterSave(key.given, key.fallback, false);
  if (requireDeviceName && placement.deviceName === '') {
    throw new ValidationError(
      {
        en: "The key was not saved: give the device's name.",
        nb: 'Nøkkelen ble ikke lagret: oppgi navnet på enheten.',
      },
      [
        {
          field: 'deviceName',
          reason: fieldReasons.deviceName(maximumNameLength),
        },
      ],
    );
  }
  const id = newId();
  const { volumeId, newVolume } = await placeKey(db, owner, placement, at, madeAt);
  await storeNewKey(ctx, db, owner, {
    id,
    protectorHex: key.protectorHex,
    secret: key.recoveryPassword,
    volumeId,
    source: key.source,
    createdAt: madeAt,
    proven: key.proven,
    actorUserId: caller.accountId,
    volumeHasOlderKeys: !newVolume,
  });
  return { id, outcome: 'created', updated: [], placement };
}

/**
 * Runs of a transaction that met another request's rows: a burst of adds to one new device on
 * several PostgreSQL processes can deadlock a run more than once.
 */
const retriesOnDuplicate = 5;

/**
 * Runs a transaction, once more if another request created the same device, volume or key in the
 * meantime (two uploads of one key at once): the second run then finds the first one's rows. So
 * too when PostgreSQL ended it to break a deadlock with such a request.
 *
 * `chainFirst` takes the audit chain's head before anything else on every run, as every append
 * of the chain does (see AuditLog): the transaction then never holds a row, such as its device's,
 * while it waits for the head that another process's append holds while it waits for that row.
 * For short transactions only: the head is held until the commit, and every append waits for it.
 */
export async function retryingOnDuplicate<T>(
  ctx: ServerContext,
  work: (trx: Db) => Promise<T>,
  { chainFirst = false }: { chainFirst?: boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.database.transaction(async (trx) => {
        // Once PostgreSQL broke a deadlock (or another request got in first), the audit chain's
        // head is taken before anything else, in the order appends take it: no cycle again.
        if (chainFirst || attempt > 1) await ctx.audit.lockChain(trx);
        return work(trx);
      });
    } catch (error) {
      if (
        attempt >= retriesOnDuplicate ||
        !(isUniqueViolation(error) || isTransientConflict(error))
      ) {
        throw error;
      }
    }
  }
}

/** What a simply new key writes, its audit event and what the answer shows of it. */
interface NewKeyPlan {
  rows: repo.NewKeyRows;
  deviceId: string;
  event: AuditEvent;
  summary: KeySummary;
}

/**
 * A key that is simply new (no key under its Key ID yet, its device and volume new or stored
 * exactly as given), looked up in one query: the rows it writes. Undefined for any other key,
 * which takes the general path (storeKey).
 */
async function planNewKey(
  ctx: ServerContext,
  db: Db,
  caller: Caller,
  access: LibraryAccess,
  key: ValidKey,
): Promise<NewKeyPlan | undefined> {
  const { placement } = placementAfterSave(key.given, key.fallback, false);
  // Without a device name the general path explains what is missing.
  if (placement.deviceName === '') return undefined;
  const owner = access.owner;
  const nameNormalized = normalizeName(placement.deviceName);
  const found = await repo.lookUpPlacement(db, owner, {
    protectorHex: key.protectorHex,
    nameNormalized,
    volumeGuid: placement.volume.volumeGuid,
    label: placement.volume.label,
  });
  const deviceChanges = found.device_id !== null && found.device_name !== placement.deviceName;
  const volumeChanges =
    found.volume_id !== null &&
    (found.volume_label !== placement.volume.label || found.volume_type !== placement.volume.type);
  if (found.existing_key_id !== null || deviceChanges || volumeChanges) return undefined;
  const at = ctx.now().toISOString();
  const ownedBy = ownerColumns(owner);
  const deviceId = found.device_id ?? newId();
  const volumeId = found.volume_id ?? newId();
  const id = newId();
  const keyFields = newKeyRow(
    {
      id,
      protectorHex: key.protectorHex,
      volumeId,
      source: key.source,
      createdAt: at,
      proven: key.proven,
    },
    at,
  );
  const rows: repo.NewKeyRows = {
    device:
      found.device_id === null
        ? {
            id: deviceId,
            ...ownedBy,
            name: placement.deviceName,
            name_normalized: nameNormalized,
            assigned_user_id: null,
            created_at: at,
            updated_at: at,
            last_seen_at: at,
            terms: nameTerms(placement.deviceName).filter((term) => term !== ''),
          }
        : undefined,
    volume:
      found.volume_id === null
        ? {
            id: volumeId,
            ...ownedBy,
            device_id: deviceId,
            label: placement.volume.label,
            type: placement.volume.type,
            volume_guid: placement.volume.volumeGuid,
            created_at: at,
            updated_at: at,
            protector_types: null,
          }
        : undefined,
    key: { ...keyFields, ...ownedBy },
    password: ctx.secrets.newRow(passwordRef(owner, id), key.recoveryPassword),
    backup: firstBackupRecord(id, caller.accountId, at),
  };
  const event: AuditEvent = {
    action: 'key_added',
    ...librarySubject(access),
    details: {
      keyId: id,
      protectorId: parseProtectorId(key.protectorHex),
      shortId: key.protectorHex.slice(0, 8),
      deviceName: placement.deviceName,
    },
  };
  const summary = keySummary({
    ...keyFields,
    device_id: deviceId,
    device_name: placement.deviceName,
    volume_label: placement.volume.label,
    volume_type: placement.volume.type,
    // A stored volume found by its label is one without a GUID.
    volume_guid:
      rows.volume !== undefined || hasVolumeGuid(placement) ? placement.volume.volumeGuid : null,
    device_assignee_id: found.device_assignee_id,
  });
  return { rows, deviceId, event, summary };
}

/**
 * PostgreSQL: a simply new key (see planNewKey) in two statements: one looks up the key, device
 * and volume, the other writes what is new, the password, the first backup and the audit event
 * together.
 */
async function addNewKeyAtOnce(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  key: ValidKey,
): Promise<KeySummary | undefined> {
  const plan = await planNewKey(ctx, ctx.db, caller, access, key);
  if (!plan) return undefined;
  await ctx.audit.recordWithChange(caller, plan.event, (event) =>
    repo.newKeyWithEventStatement(ctx.db, plan.rows, plan.deviceId, event),
  );
  return plan.summary;
}

export async function addKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  input: NewKeyInput & { assigneeEmail?: string | undefined },
): Promise<{ key: KeySummary; created: boolean; updated: DetailField[] }> {
  const access = authorize(caller, 'write', library, notFoundLibrary(library));
  await requireConfirmedAddress(ctx, caller);
  const key = validateNewKey(input);
  const assignee =
    input.assigneeEmail === undefined
      ? undefined
      : await assigneeByEmail(ctx.db, access, input.assigneeEmail);
  if (ctx.database.dialect === 'postgres' && assignee === undefined) {
    try {
      const added = await addNewKeyAtOnce(ctx, caller, access, key);
      if (added) return { key: added, created: true, updated: [] };
    } catch (error) {
      // Another request stored the same key, device or volume meanwhile (or PostgreSQL broke a
      // deadlock with one): the general path finds its rows.
      if (!isUniqueViolation(error) && !isTransientConflict(error)) throw error;
    }
  }
  const owner = access.owner;
  // One key's transaction is short: it takes the chain first, so adds for one device on several
  // processes never deadlock on the device's row (see retryingOnDuplicate).
  const result = await retryingOnDuplicate(
    ctx,
    async (trx) => {
      // SQLite: the same one lookup, then a prepared statement per row, all in one transaction
      // (the lookup inside it, so what it found still holds when the rows are written).
      const plan =
        ctx.database.dialect === 'sqlite' && assignee === undefined
          ? await planNewKey(ctx, trx, caller, access, key)
          : undefined;
      if (plan) {
        await repo.insertNewKeyRows(trx, plan.rows, plan.deviceId);
        await ctx.audit.record(trx, caller, plan.event);
        return { added: plan.summary };
      }
      const saved = await storeKey(ctx, trx, caller, access, key, { requireDeviceName: true });
      if (assignee !== undefined) {
        const device = await repo.findDeviceByName(
          trx,
          owner,
          normalizeName(saved.placement.deviceName),
        );
        if (device) await assignDevice(trx, owner, device.id, assignee, ctx.now().toISOString());
      }
      await ctx.audit.record(trx, caller, {
        action: saved.outcome === 'created' ? 'key_added' : 'key_updated',
        ...librarySubject(access, assignee ?? null),
        details: {
          keyId: saved.id,
          protectorId: parseProtectorId(key.protectorHex),
          shortId: key.protectorHex.slice(0, 8),
          deviceName: saved.placement.deviceName,
          ...(saved.outcome === 'updated' ? { updated: saved.updated } : {}),
        },
      });
      return { stored: saved };
    },
    { chainFirst: true },
  );
  if (result.added) return { key: result.added, created: true, updated: [] };
  const { stored } = result;
  return {
    key: await summaryOrThrow(ctx.db, owner, stored.id),
    created: stored.outcome === 'created',
    updated: stored.updated,
  };
}
