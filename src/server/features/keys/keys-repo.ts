import { ownerColumns, type Owner, type OwnerColumns } from '../../../db/owners.js';
import { insertRow, preparedQuery } from '../../../db/prepared-query.js';
import type { KeyBackupsTable, RecoveryKeysTable, VolumeType } from '../../../db/schema.js';
import { ownedRowQuery, ownerFilter, type Db, type OwnerColumn } from './owner-filter.js';

/**
 * Queries for keys one at a time: their devices and volumes, the key rows and their backups.
 * Every function that reads or changes owned rows takes the owner and filters by it, so a row of
 * someone else is never found (and so answers like a missing one). Rows come back as plain
 * objects; the service decides what of them a response may show.
 */

/** The sealed secret kinds this feature stores, each bound to its row's id. */
export const recoveryPasswordKind = 'recovery_password';
export const uploadedFileKind = 'uploaded_file';

// ---------------------------------------------------------------------------------------------
// Devices and volumes

export interface DeviceRow {
  id: string;
  name: string;
}

const deviceByName = ownedRowQuery((db, values: { nameNormalized: string }, column, owner) =>
  db
    .selectFrom('devices')
    .select(['id', 'name'])
    .where(column, '=', owner)
    .where('name_normalized', '=', values.nameNormalized),
);

export function findDeviceByName(
  db: Db,
  owner: Owner,
  nameNormalized: string,
): Promise<DeviceRow | undefined> {
  return deviceByName(db, owner, { nameNormalized });
}

export async function insertDevice(
  db: Db,
  owner: Owner,
  device: {
    id: string;
    name: string;
    nameNormalized: string;
    terms: string[];
    at: string;
    seenAt: string;
  },
): Promise<void> {
  await db
    .insertInto('devices')
    .values({
      id: device.id,
      ...ownerColumns(owner),
      name: device.name,
      name_normalized: device.nameNormalized,
      last_seen_at: device.seenAt,
      created_at: device.at,
      updated_at: device.at,
    })
    .execute();
  if (device.terms.length === 0) return;
  await db
    .insertInto('device_terms')
    .values(device.terms.map((term) => ({ device_id: device.id, ...ownerColumns(owner), term })))
    .execute();
}

/** Keeps the person's latest spelling ("ada-laptop" -> "Ada-Laptop"); the terms stay the same. */
export async function renameDevice(db: Db, id: string, name: string, at: string): Promise<void> {
  await db.updateTable('devices').set({ name, updated_at: at }).where('id', '=', id).execute();
}

/** A key of the device arrived or was confirmed at `at`: keeps the newest such time. */
export async function markDeviceSeen(db: Db, id: string, at: string): Promise<void> {
  await db
    .updateTable('devices')
    .set({ last_seen_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', at)]))
    .execute();
}

/** `markDeviceSeen` for the device of a volume. */
export async function markVolumeDeviceSeen(db: Db, volumeId: string, at: string): Promise<void> {
  await db
    .updateTable('devices')
    .set({ last_seen_at: at })
    .where('id', '=', (eb) =>
      eb.selectFrom('volumes').select('volumes.device_id').where('volumes.id', '=', volumeId),
    )
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', at)]))
    .execute();
}

export interface VolumeRow {
  id: string;
  label: string;
  type: VolumeType;
  volume_guid: string | null;
}

const volumeQuery = preparedQuery(
  (db, values: { deviceId: string; volumeGuid: string; label: string }, byGuid: boolean) => {
    const query = db
      .selectFrom('volumes')
      .select(['id', 'label', 'type', 'volume_guid'])
      .where('device_id', '=', values.deviceId);
    return byGuid
      ? query.where('volume_guid', '=', values.volumeGuid)
      : query.where('label', '=', values.label).where('volume_guid', 'is', null);
  },
);

/** A device's volume: by its GUID when known, else by its label among those without a GUID. */
export async function findVolume(
  db: Db,
  deviceId: string,
  { volumeGuid, label }: { volumeGuid: string | null; label: string },
): Promise<VolumeRow | undefined> {
  const [volume] = await volumeQuery(
    db,
    { deviceId, volumeGuid: volumeGuid ?? '', label },
    volumeGuid !== null && volumeGuid !== '',
  );
  return volume;
}

export async function insertVolume(
  db: Db,
  owner: Owner,
  volume: {
    id: string;
    deviceId: string;
    label: string;
    type: VolumeType;
    volumeGuid: string | null;
    at: string;
  },
): Promise<void> {
  await db
    .insertInto('volumes')
    .values({
      id: volume.id,
      ...ownerColumns(owner),
      device_id: volume.deviceId,
      label: volume.label,
      type: volume.type,
      volume_guid: volume.volumeGuid,
      created_at: volume.at,
      updated_at: volume.at,
    })
    .execute();
}

export async function updateVolume(
  db: Db,
  id: string,
  changes: { label: string; type: VolumeType; at: string },
): Promise<void> {
  await db
    .updateTable('volumes')
    .set({ label: changes.label, type: changes.type, updated_at: changes.at })
    .where('id', '=', id)
    .execute();
}

/** The protector types (JSON array) an enrolled device last reported for the volume. */
export async function setProtectorTypes(db: Db, id: string, protectorTypes: string): Promise<void> {
  await db
    .updateTable('volumes')
    .set({ protector_types: protectorTypes })
    .where('id', '=', id)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Recovery keys

export type KeyRow = RecoveryKeysTable;

const keyByProtector = ownedRowQuery((db, values: { protectorHex: string }, column, owner) =>
  db
    .selectFrom('recovery_keys')
    .selectAll()
    .where(column, '=', owner)
    .where('protector_hex', '=', values.protectorHex),
);

export function findKeyByProtector(
  db: Db,
  owner: Owner,
  protectorHex: string,
): Promise<KeyRow | undefined> {
  return keyByProtector(db, owner, { protectorHex });
}

export function findKey(db: Db, owner: Owner, id: string): Promise<KeyRow | undefined> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('recovery_keys')
    .selectAll()
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertKey(db: Db, owner: Owner, key: Omit<KeyRow, keyof OwnerColumns>) {
  await insertRow(db, 'recovery_keys', { ...key, ...ownerColumns(owner) });
}

/** Changes one of the owner's keys; false when there is no such key. */
export async function updateKey(
  db: Db,
  owner: Owner,
  id: string,
  changes: Partial<
    Pick<KeyRow, 'volume_id' | 'in_vault_at' | 'deleted_at' | 'updated_at' | 'proven_at'>
  >,
): Promise<boolean> {
  const { column, value } = ownerFilter(owner);
  const result = await db
    .updateTable('recovery_keys')
    .set(changes)
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** What a list item shows: the key row with its device and volume, never the password. */
export type KeySummaryRow = Omit<RecoveryKeysTable, keyof OwnerColumns | 'volume_id'> & {
  device_name: string;
  volume_label: string;
  volume_type: VolumeType;
  volume_guid: string | null;
  /** The person of the organisation the key's device is assigned to. */
  device_assignee_id: string | null;
};

export const summaryColumns = [
  'k.id',
  'k.protector_hex',
  'k.source',
  'k.backup_count',
  'k.last_backup_destination',
  'k.last_backup_at',
  'k.offline_backup_at',
  'k.in_vault_at',
  'k.deleted_at',
  'k.created_at',
  'k.updated_at',
  'k.rotation_required_at',
  'k.proven_at',
  'd.name as device_name',
  'v.label as volume_label',
  'v.type as volume_type',
  'v.volume_guid',
  'd.assigned_user_id as device_assignee_id',
] as const;

export function summaries(db: Db, column: OwnerColumn, owner: string) {
  return db
    .selectFrom('recovery_keys as k')
    .innerJoin('volumes as v', 'v.id', 'k.volume_id')
    .innerJoin('devices as d', 'd.id', 'v.device_id')
    .select(summaryColumns)
    .where(`k.${column}`, '=', owner);
}

export function summariesOf(db: Db, owner: Owner) {
  const { column, value } = ownerFilter(owner);
  return summaries(db, column, value);
}

const keySummary = ownedRowQuery((db, values: { id: string }, column, owner) =>
  summaries(db, column, owner).where('k.id', '=', values.id),
);

export function findKeySummary(
  db: Db,
  owner: Owner,
  id: string,
): Promise<KeySummaryRow | undefined> {
  return keySummary(db, owner, { id });
}

// ---------------------------------------------------------------------------------------------
// Backups

export type BackupRow = KeyBackupsTable;

/** Only the backup row; the caller has already written the key's backup summary. */
export async function insertBackupRecord(db: Db, backup: BackupRow): Promise<void> {
  await insertRow(db, 'key_backups', backup);
}

/** Records a backup and keeps the key's backup summary in step, in the caller's transaction. */
export async function insertBackup(db: Db, backup: BackupRow, isOffline: boolean): Promise<void> {
  await insertBackupRecord(db, backup);
  await db
    .updateTable('recovery_keys')
    .set((eb) => ({
      backup_count: eb('backup_count', '+', 1),
      last_backup_destination: backup.destination,
      last_backup_at: backup.at,
      ...(isOffline ? { offline_backup_at: backup.at } : {}),
    }))
    .where('id', '=', backup.key_id)
    .execute();
}

/** A key's backups, newest first; the key must already be known to be the caller's. */
export function listBackups(db: Db, keyId: string): Promise<BackupRow[]> {
  return db
    .selectFrom('key_backups')
    .selectAll()
    .where('key_id', '=', keyId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}
