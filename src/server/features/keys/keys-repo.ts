import { ownerColumns, type Owner, type OwnerColumns } from '../../../db/owners.js';
import { sql, type QueryCreator } from 'kysely';
import {
  insertRow,
  prefixed,
  prefixedSlots,
  preparedQuery,
  preparedStatement,
} from '../../../db/prepared-query.js';
import type {
  DevicesTable,
  KeyBackupsTable,
  RecoveryKeysTable,
  SealedSecretsTable,
  VolumesTable,
  VolumeType,
} from '../../../db/schema.js';
import {
  auditEventColumns,
  linkedEventStatement,
  type LinkedEvent,
  type LinkedWritesDb,
} from '../audit/index.js';
import type { SealedRow } from '../../../crypto/sealed-secrets.js';
import { ownedRowQuery, ownerFilter, type Db, type OwnerColumn } from './owner-filter.js';
import { clearReplacedKeys } from './rotation-repo.js';

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
  // Prepared inserts, a row at a time: an import adds tens of thousands of devices.
  await insertRow(db, 'devices', {
    id: device.id,
    ...ownerColumns(owner),
    name: device.name,
    name_normalized: device.nameNormalized,
    last_seen_at: device.seenAt,
    created_at: device.at,
    updated_at: device.at,
  });
  for (const term of device.terms) {
    await insertRow(db, 'device_terms', { device_id: device.id, ...ownerColumns(owner), term });
  }
}

/** Keeps the person's latest spelling ("ada-laptop" -> "Ada-Laptop"); the terms stay the same. */
export async function renameDevice(db: Db, id: string, name: string, at: string): Promise<void> {
  await db.updateTable('devices').set({ name, updated_at: at }).where('id', '=', id).execute();
}

const deviceSeenQuery = preparedQuery((db, values: { id: string; at: string }) =>
  db
    .updateTable('devices')
    .set({ last_seen_at: values.at })
    .where('id', '=', values.id)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', values.at)])),
);

/** A key of the device arrived or was confirmed at `at`: keeps the newest such time. */
export async function markDeviceSeen(db: Db, id: string, at: string): Promise<void> {
  await deviceSeenQuery(db, { id, at }, undefined);
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

/** Where a key would go: the key already stored under its Key ID, its device and volume. */
export interface PlacementLookup {
  existing_key_id: string | null;
  device_id: string | null;
  device_name: string | null;
  device_assignee_id: string | null;
  volume_id: string | null;
  volume_label: string | null;
  volume_type: VolumeType | null;
}

const placementQuery = preparedQuery(
  (
    db,
    values: {
      owner: string;
      protectorHex: string;
      nameNormalized: string;
      volumeGuid: string;
      label: string;
    },
    shape: { column: OwnerColumn; byGuid: boolean },
  ) =>
    db
      .selectFrom(sql<{ one: number }>`(select 1)`.as('one'))
      .leftJoin('devices as d', (join) =>
        join
          .on(`d.${shape.column}`, '=', values.owner)
          .on('d.name_normalized', '=', values.nameNormalized),
      )
      .leftJoin('volumes as v', (join) => {
        const onDevice = join.onRef('v.device_id', '=', 'd.id');
        return shape.byGuid
          ? onDevice.on('v.volume_guid', '=', values.volumeGuid)
          : onDevice.on('v.label', '=', values.label).on('v.volume_guid', 'is', null);
      })
      .select((eb) => [
        eb
          .selectFrom('recovery_keys')
          .select('id')
          .where(shape.column, '=', values.owner)
          .where('protector_hex', '=', values.protectorHex)
          .as('existing_key_id'),
        'd.id as device_id',
        'd.name as device_name',
        'd.assigned_user_id as device_assignee_id',
        'v.id as volume_id',
        'v.label as volume_label',
        'v.type as volume_type',
      ])
      // A literal: SQLite plans a statement again on every run when its LIMIT is bound.
      .limit(sql.lit(1)),
);

/**
 * In one query: the owner's key with this Key ID, and the device and volume findDeviceByName
 * and findVolume would find.
 */
export async function lookUpPlacement(
  db: Db,
  owner: Owner,
  key: { protectorHex: string; nameNormalized: string; volumeGuid: string | null; label: string },
): Promise<PlacementLookup> {
  const { column, value } = ownerFilter(owner);
  const byGuid = key.volumeGuid !== null && key.volumeGuid !== '';
  const [row] = await placementQuery(
    db,
    {
      owner: value,
      protectorHex: key.protectorHex,
      nameNormalized: key.nameNormalized,
      volumeGuid: key.volumeGuid ?? '',
      label: key.label,
    },
    { column, byGuid },
  );
  if (!row) throw new Error('the placement lookup returned no row');
  return row;
}

/** The rows a new key writes: a new device (with its search terms) and volume when needed. */
export interface NewKeyRows {
  device: (DevicesTable & { terms: string[] }) | undefined;
  volume: VolumesTable | undefined;
  key: RecoveryKeysTable;
  password: SealedSecretsTable;
  backup: KeyBackupsTable;
}

export const deviceColumns = [
  'id',
  'owner_user_id',
  'owner_org_id',
  'name',
  'name_normalized',
  'assigned_user_id',
  'created_at',
  'updated_at',
  'last_seen_at',
] as const satisfies readonly (keyof DevicesTable)[];
export const volumeColumns = [
  'id',
  'owner_user_id',
  'owner_org_id',
  'device_id',
  'label',
  'type',
  'volume_guid',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof VolumesTable)[];
export const keyColumns = [
  'id',
  'owner_user_id',
  'owner_org_id',
  'kind',
  'luks_uuid_hex',
  'luks_slot',
  'protector_hex',
  'volume_id',
  'source',
  'backup_count',
  'last_backup_destination',
  'last_backup_at',
  'offline_backup_at',
  'in_vault_at',
  'deleted_at',
  'created_at',
  'updated_at',
  'rotation_required_at',
  'proven_at',
] as const satisfies readonly (keyof RecoveryKeysTable)[];
export const secretColumns = [
  'id',
  'owner_user_id',
  'owner_org_id',
  'kind',
  'bound_id',
  'key_version',
  'wrapped_key',
  'ciphertext',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof SealedSecretsTable)[];
export const backupColumns = [
  'id',
  'key_id',
  'destination',
  'note',
  'actor_user_id',
  'at',
] as const satisfies readonly (keyof KeyBackupsTable)[];

/** An insert of one row that happens only if the audit event it goes with is appended. */
function insertWithEvent<Row extends object, Tables extends object>(
  qc: QueryCreator<Tables>,
  table: 'devices' | 'volumes' | 'recovery_keys' | 'sealed_secrets' | 'key_backups',
  row: Row,
  columns: readonly (keyof Row & string)[],
) {
  const db = qc as unknown as LinkedWritesDb;
  return db
    .insertInto(table)
    .columns(columns as never)
    .expression(
      (eb) =>
        eb
          .selectFrom('chain_linked')
          .select(columns.map((column) => eb.val(row[column]).as(column))) as never,
    );
}

const newKeyStatement = preparedStatement(
  (db, values: Record<string, unknown>, shape: { device: boolean; volume: boolean }) => {
    const event = prefixedSlots<LinkedEvent>(values, 'event_', auditEventColumns);
    return linkedEventStatement(db, event, (linked) => {
      let writes = linked;
      if (shape.device) {
        const device = prefixedSlots<DevicesTable>(values, 'device_', deviceColumns);
        writes = writes
          .with('new_device', (qc) => insertWithEvent(qc, 'devices', device, deviceColumns))
          .with('new_device_terms', (qc) =>
            qc
              .insertInto('device_terms')
              .columns(['device_id', 'owner_user_id', 'owner_org_id', 'term'])
              .expression((eb) =>
                eb
                  .selectFrom('chain_linked')
                  .select([
                    eb.val(device.id).as('device_id'),
                    eb.val(device.owner_user_id).as('owner_user_id'),
                    eb.val(device.owner_org_id).as('owner_org_id'),
                    sql<string>`unnest(cast(${values.device_terms} as text[]))`.as('term'),
                  ]),
              ),
          ) as unknown as LinkedWritesDb;
      }
      const key = prefixedSlots<RecoveryKeysTable>(values, 'key_', keyColumns);
      if (!shape.device) {
        // As markDeviceSeen: the device a key arrives for was seen now.
        writes = writes.with('device_seen', (qc) =>
          qc
            .updateTable('devices')
            .set({ last_seen_at: key.created_at })
            .where('id', '=', values.device_id as string)
            .where((eb) =>
              eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', key.created_at)]),
            )
            .where((eb) => eb.exists(eb.selectFrom('chain_linked').select('last_seq'))),
        ) as unknown as LinkedWritesDb;
      }
      if (shape.volume) {
        const volume = prefixedSlots<VolumesTable>(values, 'volume_', volumeColumns);
        writes = writes.with('new_volume', (qc) =>
          insertWithEvent(qc, 'volumes', volume, volumeColumns),
        ) as unknown as LinkedWritesDb;
      } else {
        // As clearReplacedKeys: the drive's older keys need no rotation any more.
        writes = writes.with('replaced_keys', (qc) =>
          qc
            .updateTable('recovery_keys')
            .set({ rotation_required_at: null })
            .where('volume_id', '=', key.volume_id)
            .where('rotation_required_at', 'is not', null)
            .where('id', '!=', key.id)
            .where('created_at', '<=', key.created_at)
            .where((eb) => eb.exists(eb.selectFrom('chain_linked').select('last_seq'))),
        ) as unknown as LinkedWritesDb;
      }
      const password = prefixedSlots<SealedSecretsTable>(values, 'password_', secretColumns);
      const backup = prefixedSlots<KeyBackupsTable>(values, 'backup_', backupColumns);
      return writes
        .with('new_key', (qc) => insertWithEvent(qc, 'recovery_keys', key, keyColumns))
        .with('new_password', (qc) =>
          insertWithEvent(qc, 'sealed_secrets', password, secretColumns),
        )
        .with('new_backup', (qc) =>
          insertWithEvent(qc, 'key_backups', backup, backupColumns),
        ) as unknown as LinkedWritesDb;
    });
  },
);

/**
 * PostgreSQL: a new key with everything it writes and its audit event in one statement, which
 * writes nothing unless the event is appended (see linkedEventStatement).
 */
export function newKeyWithEventStatement(
  db: Db,
  rows: NewKeyRows,
  existingDeviceId: string,
  event: LinkedEvent,
) {
  const { terms, ...device } = rows.device ?? { terms: [] };
  return newKeyStatement(
    db,
    {
      ...prefixed('event_', event),
      ...(rows.device
        ? { ...prefixed('device_', device), device_terms: terms }
        : { device_id: existingDeviceId }),
      ...(rows.volume ? prefixed('volume_', rows.volume) : {}),
      ...prefixed('key_', rows.key),
      ...prefixed('password_', rows.password),
      ...prefixed('backup_', rows.backup),
    },
    { device: rows.device !== undefined, volume: rows.volume !== undefined },
  );
}

/**
 * SQLite: writes the rows of a new key (newKeyWithEventStatement's, one prepared insert or
 * update each) in the caller's transaction, which also records the audit event.
 */
export async function insertNewKeyRows(db: Db, rows: NewKeyRows, existingDeviceId: string) {
  if (rows.device) {
    const { terms, ...device } = rows.device;
    await insertRow(db, 'devices', device);
    for (const term of terms) {
      await insertRow(db, 'device_terms', {
        device_id: device.id,
        owner_user_id: device.owner_user_id,
        owner_org_id: device.owner_org_id,
        term,
      });
    }
  } else {
    await markDeviceSeen(db, existingDeviceId, rows.key.created_at);
  }
  if (rows.volume) await insertRow(db, 'volumes', rows.volume);
  await insertRow(db, 'recovery_keys', rows.key);
  if (!rows.volume) {
    await clearReplacedKeys(db, rows.key.volume_id, {
      id: rows.key.id,
      createdAt: rows.key.created_at,
    });
  }
  await insertRow(db, 'sealed_secrets', rows.password);
  await insertRow(db, 'key_backups', rows.backup);
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
  device_id: string;
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
  'k.kind',
  'k.luks_uuid_hex',
  'k.luks_slot',
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
  'd.id as device_id',
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

/** A key's summary and its sealed recovery password, for handing the password over. */
export type KeyWithSealedPassword = KeySummaryRow & {
  password: SealedRow | undefined;
};

const keySummaryWithPassword = ownedRowQuery((db, values: { id: string }, column, owner) =>
  summaries(db, column, owner)
    .leftJoin('sealed_secrets as s', (join) =>
      join
        .onRef('s.bound_id', '=', 'k.id')
        .on('s.kind', '=', recoveryPasswordKind)
        .on(`s.${column}`, '=', owner),
    )
    .select(['s.id as secret_id', 's.key_version', 's.wrapped_key', 's.ciphertext'])
    .where('k.id', '=', values.id),
);

/** One of the owner's keys with its sealed password, in one query. */
export async function findKeyWithSealedPassword(
  db: Db,
  owner: Owner,
  id: string,
): Promise<KeyWithSealedPassword | undefined> {
  const row = await keySummaryWithPassword(db, owner, { id });
  if (!row) return undefined;
  const { secret_id, key_version, wrapped_key, ciphertext, ...summary } = row;
  return {
    ...summary,
    password: sealedPasswordOf({ secret_id, key_version, wrapped_key, ciphertext }),
  };
}

/** A key's sealed password as a reveal reads it; every column null when there is none. */
interface SealedPasswordColumns {
  secret_id: string | null;
  key_version: number | null;
  wrapped_key: Buffer | null;
  ciphertext: Buffer | null;
}

function sealedPasswordOf(columns: SealedPasswordColumns | undefined): SealedRow | undefined {
  if (!columns) return undefined;
  const { secret_id, key_version, wrapped_key, ciphertext } = columns;
  return secret_id === null || key_version === null || wrapped_key === null || ciphertext === null
    ? undefined
    : { id: secret_id, key_version, wrapped_key, ciphertext };
}

const sealedPassword = ownedRowQuery((db, values: { keyId: string }, column, owner) =>
  db
    .selectFrom('sealed_secrets')
    .select(['id as secret_id', 'key_version', 'wrapped_key', 'ciphertext'])
    .where('kind', '=', recoveryPasswordKind)
    .where('bound_id', '=', values.keyId)
    .where(column, '=', owner),
);

/** One of the owner's keys' sealed password. */
export async function findSealedPassword(
  db: Db,
  owner: Owner,
  keyId: string,
): Promise<SealedRow | undefined> {
  return sealedPasswordOf(await sealedPassword(db, owner, { keyId }));
}

const passwordWithEventStatement = preparedStatement(
  (db, values: Record<string, unknown>, column: OwnerColumn) =>
    linkedEventStatement(db, prefixedSlots<LinkedEvent>(values, 'event_', auditEventColumns))
      .leftJoin('sealed_secrets as s', (join) =>
        join
          .on('s.kind', '=', recoveryPasswordKind)
          .on('s.bound_id', '=', values.keyId as string)
          .on(`s.${column}`, '=', values.owner as string),
      )
      .select(['s.id as secret_id', 's.key_version', 's.wrapped_key', 's.ciphertext']),
);

/**
 * PostgreSQL: appends `event` (a reveal) and reads the key's sealed password in the same
 * statement, so what is handed over is read in the transaction that records it.
 */
export function sealedPasswordWithEventStatement(
  db: Db,
  event: LinkedEvent,
  owner: Owner,
  keyId: string,
) {
  const { column, value } = ownerFilter(owner);
  return passwordWithEventStatement(
    db,
    { ...prefixed('event_', event), keyId, owner: value },
    column,
  );
}

/** The sealed password a reveal's statement read, if the key still has one. */
export function sealedPasswordRead(rows: readonly SealedPasswordColumns[]): SealedRow | undefined {
  return sealedPasswordOf(rows[0]);
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
