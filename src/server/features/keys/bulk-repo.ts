import { insertRows } from '../../../db/prepared-query.js';
import type { Owner } from '../../../db/owners.js';
import type {
  DevicesTable,
  DeviceTermsTable,
  KeyBackupsTable,
  RecoveryKeysTable,
  SealedSecretsTable,
  VolumesTable,
  VolumeType,
} from '../../../db/schema.js';
import {
  backupColumns,
  deviceColumns,
  keyColumns,
  secretColumns,
  volumeColumns,
} from './keys-repo.js';
import { ownerFilter, type Db } from './owner-filter.js';

/**
 * Queries for many keys at once (an import's batch of thousands): the devices and volumes the
 * keys go to, read a few hundred names to a statement, and the new rows written a few hundred to
 * a statement. Reads filter by owner, as keys-repo's do.
 */

/** Values per `in (...)` list: one statement per this many names or ids. */
const listChunk = 500;

function chunks<T>(values: readonly T[]): T[][] {
  const slices: T[][] = [];
  for (let first = 0; first < values.length; first += listChunk) {
    slices.push(values.slice(first, first + listChunk));
  }
  return slices;
}

export interface StoredDevice {
  id: string;
  name: string;
  name_normalized: string;
}

/** The owner's devices with these normalized names. */
export async function findDevicesByNames(
  db: Db,
  owner: Owner,
  namesNormalized: readonly string[],
): Promise<StoredDevice[]> {
  const { column, value } = ownerFilter(owner);
  const found: StoredDevice[] = [];
  for (const names of chunks(namesNormalized)) {
    const rows = await db
      .selectFrom('devices')
      .select(['id', 'name', 'name_normalized'])
      .where(column, '=', value)
      .where('name_normalized', 'in', names)
      .execute();
    found.push(...rows);
  }
  return found;
}

export interface StoredVolume {
  id: string;
  device_id: string;
  label: string;
  type: VolumeType;
  volume_guid: string | null;
}

/** Every volume of these devices of the owner. */
export async function findVolumesOfDevices(
  db: Db,
  owner: Owner,
  deviceIds: readonly string[],
): Promise<StoredVolume[]> {
  const { column, value } = ownerFilter(owner);
  const found: StoredVolume[] = [];
  for (const ids of chunks(deviceIds)) {
    const rows = await db
      .selectFrom('volumes')
      .select(['id', 'device_id', 'label', 'type', 'volume_guid'])
      .where(column, '=', value)
      .where('device_id', 'in', ids)
      .execute();
    found.push(...rows);
  }
  return found;
}

/** The owner's keys among these Key IDs (hex): their ids by Key ID. */
export async function findKeysByProtectors(
  db: Db,
  owner: Owner,
  protectorHexes: readonly string[],
): Promise<Map<string, string>> {
  const { column, value } = ownerFilter(owner);
  const found = new Map<string, string>();
  for (const hexes of chunks(protectorHexes)) {
    const rows = await db
      .selectFrom('recovery_keys')
      .select(['id', 'protector_hex'])
      .where(column, '=', value)
      .where('protector_hex', 'in', hexes)
      .execute();
    for (const row of rows) found.set(row.protector_hex, row.id);
  }
  return found;
}

/** The rows a batch of new keys writes, each table's rows in the order they were made. */
export interface NewRows {
  devices: DevicesTable[];
  terms: DeviceTermsTable[];
  volumes: VolumesTable[];
  keys: RecoveryKeysTable[];
  passwords: SealedSecretsTable[];
  backups: KeyBackupsTable[];
}

const termColumns = ['device_id', 'owner_user_id', 'owner_org_id', 'term'] as const;

/** Writes a batch's new rows, parents before the rows that refer to them. */
export async function insertNewRows(db: Db, rows: NewRows): Promise<void> {
  await insertRows(db, 'devices', deviceColumns, rows.devices);
  await insertRows(db, 'device_terms', termColumns, rows.terms);
  await insertRows(db, 'volumes', volumeColumns, rows.volumes);
  await insertRows(db, 'recovery_keys', keyColumns, rows.keys);
  await insertRows(db, 'sealed_secrets', secretColumns, rows.passwords);
  await insertRows(db, 'key_backups', backupColumns, rows.backups);
}
