import { sql } from 'kysely';
import type { Owner } from '../../../db/owners.js';
import { preparedQuery } from '../../../db/prepared-query.js';
import { ownerFilter, type Db } from './owner-filter.js';

/**
 * Queries for keys that must be replaced. Only a drive's current key (the newest not in the
 * bin) is ever marked: an older one no longer unlocks the drive, so replacing it means nothing.
 * A mark lasts until a newer key for the same drive arrives.
 */

/** No newer key, not in the bin, sits on the same volume as the `recovery_keys` row. */
const isCurrentKey = sql<boolean>`not exists (
  select 1 from recovery_keys as newer
  where newer.volume_id = recovery_keys.volume_id
    and newer.deleted_at is null
    and (newer.created_at > recovery_keys.created_at
      or (newer.created_at = recovery_keys.created_at and newer.id > recovery_keys.id))
)`;

/** Marks one key (a revealed one) when it is its drive's current key and not marked yet. */
export async function markKey(db: Db, owner: Owner, keyId: string, at: string): Promise<boolean> {
  const { column, value } = ownerFilter(owner);
  const result = await db
    .updateTable('recovery_keys')
    .set({ rotation_required_at: at })
    .where(column, '=', value)
    .where('id', '=', keyId)
    .where('rotation_required_at', 'is', null)
    .where('deleted_at', 'is', null)
    .where(isCurrentKey)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * markKey for many keys at once (an import's keys that their source says were handed out
 * already); returns how many were marked.
 */
export async function markKeys(
  db: Db,
  owner: Owner,
  keyIds: readonly string[],
  at: string,
): Promise<number> {
  const { column, value } = ownerFilter(owner);
  let marked = 0;
  for (let first = 0; first < keyIds.length; first += 500) {
    const result = await db
      .updateTable('recovery_keys')
      .set({ rotation_required_at: at })
      .where(column, '=', value)
      .where('id', 'in', keyIds.slice(first, first + 500))
      .where('rotation_required_at', 'is', null)
      .where('deleted_at', 'is', null)
      .where(isCurrentKey)
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  return marked;
}

/**
 * Marks the current key of every drive of one device (`deviceId`) or of the whole library
 * (undefined); returns how many were newly marked.
 */
export async function markCurrentKeys(
  db: Db,
  owner: Owner,
  deviceId: string | undefined,
  at: string,
): Promise<number> {
  const { column, value } = ownerFilter(owner);
  let query = db
    .updateTable('recovery_keys')
    .set({ rotation_required_at: at })
    .where(column, '=', value)
    .where('rotation_required_at', 'is', null)
    .where('deleted_at', 'is', null)
    .where(isCurrentKey);
  if (deviceId !== undefined) {
    query = query.where('volume_id', 'in', (eb) =>
      eb
        .selectFrom('volumes')
        .select('volumes.id')
        .where(`volumes.${column}`, '=', value)
        .where('volumes.device_id', '=', deviceId),
    );
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A newer key arrived for the drive: the keys it replaces need no rotation any more. */
export async function clearReplacedKeys(
  db: Db,
  volumeId: string,
  newKey: { id: string; createdAt: string },
): Promise<void> {
  await replacedKeysQuery(db, { volumeId, ...newKey }, undefined);
}

// Every added key runs it: prepared once.
const replacedKeysQuery = preparedQuery(
  (db, values: { volumeId: string; id: string; createdAt: string }) =>
    db
      .updateTable('recovery_keys')
      .set({ rotation_required_at: null })
      .where('volume_id', '=', values.volumeId)
      .where('rotation_required_at', 'is not', null)
      .where('id', '!=', values.id)
      .where('created_at', '<=', values.createdAt),
);

/** The protector IDs (hex) of a device's keys that are marked, not in the bin. */
export async function markedKeysOfDevice(
  db: Db,
  owner: Owner,
  deviceId: string,
): Promise<string[]> {
  const { column, value } = ownerFilter(owner);
  // Scoped through the volume (a key always has its volume's owner) and read from the device's
  // volumes: a condition on the keys' owner column makes SQLite walk every key of the library,
  // which every agent check-in of a large organisation would pay.
  const rows = await db
    .selectFrom('volumes')
    .innerJoin('recovery_keys', 'recovery_keys.volume_id', 'volumes.id')
    .select('recovery_keys.protector_hex')
    .where(`volumes.${column}`, '=', value)
    .where('volumes.device_id', '=', deviceId)
    .where('recovery_keys.rotation_required_at', 'is not', null)
    .where('recovery_keys.deleted_at', 'is', null)
    .orderBy('recovery_keys.protector_hex')
    .execute();
  return rows.map((row) => row.protector_hex);
}
