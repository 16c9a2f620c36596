import { sql, type Compilable, type ExpressionBuilder, type Kysely } from 'kysely';
import { ownerColumns, type Owner, type OwnerColumns } from '../../../db/owners.js';
import { insertRow, preparedQuery } from '../../../db/prepared-query.js';
import type {
  DatabaseSchema,
  KeyBackupsTable,
  RecoveryKeysTable,
  UploadedFilesTable,
  VolumeType,
} from '../../../db/schema.js';

/**
 * Queries for the key library. Every function that reads or changes owned rows takes the owner
 * and filters by it, so a row of someone else is never found (and so answers like a missing one).
 * Rows come back as plain objects; the service decides what of them a response may show.
 */
type Db = Kysely<DatabaseSchema>;

/** The sealed secret kinds this feature stores, each bound to its row's id. */
export const recoveryPasswordKind = 'recovery_password';
export const uploadedFileKind = 'uploaded_file';

type OwnerColumn = keyof OwnerColumns;

/** The owner column a query filters on, and its value; each has its own partial indexes. */
function ownerFilter(owner: Owner): { column: OwnerColumn; value: string } {
  return owner.type === 'user'
    ? { column: 'owner_user_id', value: owner.userId }
    : { column: 'owner_org_id', value: owner.organisationId };
}

/**
 * A prepared lookup of one of an owner's rows: the owner column shapes the query's text, the
 * owner's id is one of its values.
 */
function ownedRowQuery<Values extends object, Row>(
  build: (db: Db, values: Values, column: OwnerColumn, owner: string) => Compilable<Row>,
) {
  const query = preparedQuery((db, values: Values & { owner: string }, column: OwnerColumn) =>
    build(db, values, column, values.owner),
  );
  return async (db: Db, owner: Owner, values: Values): Promise<Row | undefined> => {
    const { column, value } = ownerFilter(owner);
    const [row] = await query(db, { ...values, owner: value }, column);
    return row;
  };
}

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
  device: { id: string; name: string; nameNormalized: string; terms: string[]; at: string },
): Promise<void> {
  await db
    .insertInto('devices')
    .values({
      id: device.id,
      ...ownerColumns(owner),
      name: device.name,
      name_normalized: device.nameNormalized,
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
  changes: Partial<Pick<KeyRow, 'volume_id' | 'in_vault_at' | 'deleted_at' | 'updated_at'>>,
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

const summaryColumns = [
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
  'd.name as device_name',
  'v.label as volume_label',
  'v.type as volume_type',
  'v.volume_guid',
  'd.assigned_user_id as device_assignee_id',
] as const;

function summaries(db: Db, column: OwnerColumn, owner: string) {
  return db
    .selectFrom('recovery_keys as k')
    .innerJoin('volumes as v', 'v.id', 'k.volume_id')
    .innerJoin('devices as d', 'd.id', 'v.device_id')
    .select(summaryColumns)
    .where(`k.${column}`, '=', owner);
}

function summariesOf(db: Db, owner: Owner) {
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

/** Where a page starts: after the key with this creation time and id (newest first). */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export interface KeyPageQuery {
  /** true: only deleted keys (the bin); false: only keys not deleted; undefined: both. */
  deleted: boolean | undefined;
  after: PageCursor | undefined;
  limit: number;
  /** Only keys on devices assigned to this account (an organisation's member); undefined: all. */
  assignee?: string | undefined;
}

/**
 * What shapes the text of a page query (prepared once per shape). The row count is part of it:
 * SQLite plans a statement again on every run when its LIMIT is a bound parameter.
 */
interface PageShape {
  column: OwnerColumn;
  deleted: boolean | undefined;
  hasCursor: boolean;
  assignedOnly: boolean;
  /** One more than the page size: the extra row tells whether more follow. */
  rows: number;
}

/** The values of a page query; the cursor fields are unused without a cursor. */
interface PageValues {
  owner: string;
  afterCreatedAt: string;
  afterId: string;
  assignee: string;
}

function pageOf(owner: Owner, { deleted, after, limit, assignee }: KeyPageQuery) {
  const { column, value } = ownerFilter(owner);
  const shape: PageShape = {
    column,
    deleted,
    hasCursor: after !== undefined,
    assignedOnly: assignee !== undefined,
    rows: limit + 1,
  };
  const values: PageValues = {
    owner: value,
    afterCreatedAt: after?.createdAt ?? '',
    afterId: after?.id ?? '',
    assignee: assignee ?? '',
  };
  return { shape, values };
}

/** The bin filter and the cursor of a page, over the keys aliased `k`. */
function pageFilter(values: PageValues, { deleted, hasCursor, assignedOnly }: PageShape) {
  const conditions = [
    deleted === undefined
      ? sql<boolean>`1 = 1`
      : deleted
        ? sql<boolean>`k.deleted_at is not null`
        : sql<boolean>`k.deleted_at is null`,
  ];
  if (assignedOnly) conditions.push(sql<boolean>`d.assigned_user_id = ${values.assignee}`);
  if (hasCursor) {
    conditions.push(
      sql<boolean>`(k.created_at, k.id) < (${values.afterCreatedAt}, ${values.afterId})`,
    );
  }
  return sql<boolean>`${sql.join(conditions, sql` and `)}`;
}

function pageOfSummaries(db: Db, values: PageValues, shape: PageShape) {
  return summaries(db, shape.column, values.owner).where(pageFilter(values, shape));
}

const keyPageQuery = preparedQuery((db, values: PageValues, shape: PageShape) =>
  pageOfSummaries(db, values, shape)
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .limit(sql.lit(shape.rows)),
);

/** A page of the owner's keys, newest first; `limit + 1` rows tell whether more follow. */
export function listKeys(db: Db, owner: Owner, page: KeyPageQuery): Promise<KeySummaryRow[]> {
  const { shape, values } = pageOf(owner, page);
  return keyPageQuery(db, values, shape);
}

/** Strings s with from <= s < to (to undefined: no upper end), as index ranges compare them. */
export interface PrefixRange {
  from: string;
  to: string | undefined;
}

/** A range's ends as query values (a missing upper end changes the query's text instead). */
interface RangeValues {
  from: string;
  to: string;
}

function rangeValues(range: PrefixRange): RangeValues {
  return { from: range.from, to: range.to ?? '' };
}

function hasUpperEnd(range: PrefixRange | undefined): boolean {
  return range?.to !== undefined;
}

/**
 * The owner's keys whose protector ID lies in the range, unordered. The range runs on the
 * (owner, protector_hex) index, and a Key ID prefix of 4 or more hex digits matches at most one
 * key in 65,536, so callers sort the few rows themselves (asking the database to sort by date
 * could tempt it onto the date index instead).
 */
function keysInProtectorRange(
  db: Db,
  values: PageValues,
  range: RangeValues,
  shape: PageShape & { keyIdHasUpperEnd: boolean },
) {
  const query = pageOfSummaries(db, values, shape).where('k.protector_hex', '>=', range.from);
  return shape.keyIdHasUpperEnd ? query.where('k.protector_hex', '<', range.to) : query;
}

const protectorRangeQuery = preparedQuery(
  (db, values: PageValues & RangeValues, shape: PageShape & { keyIdHasUpperEnd: boolean }) =>
    keysInProtectorRange(db, values, values, shape),
);

/** The owner's keys whose protector ID lies in the range, after the cursor, newest first. */
export async function listKeysInProtectorRange(
  db: Db,
  owner: Owner,
  range: PrefixRange,
  page: KeyPageQuery,
): Promise<KeySummaryRow[]> {
  const { shape, values } = pageOf(owner, page);
  const rows = await protectorRangeQuery(
    db,
    { ...values, ...rangeValues(range) },
    { ...shape, keyIdHasUpperEnd: hasUpperEnd(range) },
  );
  return rows.sort(newestFirst).slice(0, shape.rows);
}

/**
 * The owner's keys on devices with a name term in the range, newest first. The query walks from
 * the owner's matching terms to their devices' volumes (both filtered by owner) and on to each
 * volume's keys. CROSS JOIN fixes that order on SQLite (other databases plan it the same way from
 * their statistics); left to choose, SQLite walks the whole library in date order to save
 * sorting the few matches. When no term matches, the walk ends at its first index step.
 */
function keysOnDevicesWithTerm(
  db: Db,
  values: PageValues,
  range: RangeValues,
  shape: PageShape & { nameHasUpperEnd: boolean },
) {
  const terms = db
    .selectFrom('device_terms')
    .select('device_id')
    .where(shape.column, '=', values.owner)
    .where('term', '>=', range.from);
  const devices = shape.nameHasUpperEnd ? terms.where('term', '<', range.to) : terms;
  return db
    .selectFrom(devices.distinct().as('t'))
    .crossJoin('volumes as v')
    .crossJoin('recovery_keys as k')
    .crossJoin('devices as d')
    .select(summaryColumns)
    .whereRef('v.device_id', '=', 't.device_id')
    .where(`v.${shape.column}`, '=', values.owner)
    .whereRef('k.volume_id', '=', 'v.id')
    .whereRef('d.id', '=', 'v.device_id')
    .where(pageFilter(values, shape))
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .limit(sql.lit(shape.rows));
}

interface SearchValues extends PageValues {
  keyIdFrom: string;
  keyIdTo: string;
  nameFrom: string;
  nameTo: string;
}

interface SearchShape extends PageShape {
  /** Whether the search text can be a Key ID prefix at all. */
  byKeyId: boolean;
  keyIdHasUpperEnd: boolean;
  nameHasUpperEnd: boolean;
}

/** Both halves of a search in one statement: one trip through the database per search. */
const searchQuery = preparedQuery((db, values: SearchValues, shape: SearchShape) => {
  const byName = db
    .selectFrom(
      keysOnDevicesWithTerm(db, values, { from: values.nameFrom, to: values.nameTo }, shape).as(
        'by_name',
      ),
    )
    .selectAll();
  if (!shape.byKeyId) return byName;
  return db
    .selectFrom(
      keysInProtectorRange(db, values, { from: values.keyIdFrom, to: values.keyIdTo }, shape).as(
        'by_key_id',
      ),
    )
    .selectAll()
    .unionAll(byName);
});

/**
 * A search: the owner's keys whose protector ID lies in `keyIds` (undefined when the text cannot
 * be a Key ID prefix) and those on devices with a name term in `names`, newest first, each key
 * once.
 */
export async function searchKeys(
  db: Db,
  owner: Owner,
  { keyIds, names }: { keyIds: PrefixRange | undefined; names: PrefixRange },
  page: KeyPageQuery,
): Promise<KeySummaryRow[]> {
  const { shape, values } = pageOf(owner, page);
  const keyIdValues = keyIds ? rangeValues(keyIds) : { from: '', to: '' };
  const nameValues = rangeValues(names);
  const rows = await searchQuery(
    db,
    {
      ...values,
      keyIdFrom: keyIdValues.from,
      keyIdTo: keyIdValues.to,
      nameFrom: nameValues.from,
      nameTo: nameValues.to,
    },
    {
      ...shape,
      byKeyId: keyIds !== undefined,
      keyIdHasUpperEnd: hasUpperEnd(keyIds),
      nameHasUpperEnd: hasUpperEnd(names),
    },
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return [...byId.values()].sort(newestFirst).slice(0, shape.rows);
}

/** Newest first, then by id, the order of every key list. */
export function newestFirst(
  a: { created_at: string; id: string },
  b: { created_at: string; id: string },
): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Every key of the owner (for export), oldest first, in pages. */
export function keysForExport(
  db: Db,
  owner: Owner,
  after: PageCursor | undefined,
  limit: number,
): Promise<KeySummaryRow[]> {
  let query = summariesOf(db, owner);
  if (after) {
    query = query.where(sql<boolean>`(k.created_at, k.id) > (${after.createdAt}, ${after.id})`);
  }
  return query.orderBy('k.created_at').orderBy('k.id').limit(limit).execute();
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

// ---------------------------------------------------------------------------------------------
// Uploaded files

export type FileRow = UploadedFilesTable;

export async function insertFile(
  db: Db,
  owner: Owner,
  file: Omit<FileRow, keyof OwnerColumns>,
  keyIds: string[],
): Promise<void> {
  await db
    .insertInto('uploaded_files')
    .values({ ...file, ...ownerColumns(owner) })
    .execute();
  // In slices, so a file of thousands of keys stays within either database's parameter limit.
  for (let start = 0; start < keyIds.length; start += 1000) {
    await db
      .insertInto('uploaded_file_keys')
      .values(
        keyIds.slice(start, start + 1000).map((keyId) => ({ file_id: file.id, key_id: keyId })),
      )
      .execute();
  }
}

export function findFile(db: Db, owner: Owner, id: string): Promise<FileRow | undefined> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface FileWithKeysRow extends FileRow {
  key_ids: string[];
}

/** The owner's uploaded files, newest first, each with the ids of the keys it held. */
export async function listFiles(db: Db, owner: Owner): Promise<FileWithKeysRow[]> {
  const { column, value } = ownerFilter(owner);
  const files = await db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  if (files.length === 0) return [];
  const links = await db
    .selectFrom('uploaded_file_keys')
    .select(['file_id', 'key_id'])
    .where(
      'file_id',
      'in',
      files.map((file) => file.id),
    )
    .execute();
  return files.map((file) => ({
    ...file,
    key_ids: links.filter((link) => link.file_id === file.id).map((link) => link.key_id),
  }));
}

export async function setFileVault(
  db: Db,
  owner: Owner,
  id: string,
  inVaultAt: string | null,
): Promise<boolean> {
  const { column, value } = ownerFilter(owner);
  const result = await db
    .updateTable('uploaded_files')
    .set({ in_vault_at: inVaultAt })
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// ---------------------------------------------------------------------------------------------
// Vault contents

/** The owner's keys in the vault (not deleted), with what their names are made of. */
export function keysInVault(db: Db, owner: Owner): Promise<KeySummaryRow[]> {
  return summariesOf(db, owner)
    .where('k.in_vault_at', 'is not', null)
    .where('k.deleted_at', 'is', null)
    .orderBy('k.in_vault_at', 'desc')
    .execute();
}

export function filesInVault(db: Db, owner: Owner): Promise<FileRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .where('in_vault_at', 'is not', null)
    .orderBy('in_vault_at', 'desc')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Retention

/** What a purge removed: the keys, and the files and devices nothing else needed. */
export interface Purged {
  keyIds: string[];
  fileIds: string[];
  deviceIds: string[];
}

/** Bound parameters per statement, well below what SQLite and PostgreSQL accept. */
const idsPerStatement = 500;

async function forEachChunk(ids: string[], work: (chunk: string[]) => Promise<unknown>) {
  for (let start = 0; start < ids.length; start += idsPerStatement) {
    await work(ids.slice(start, start + idsPerStatement));
  }
}

/** Which keys in the bin a purge takes: all deleted before a time, or one key of an owner. */
type PurgeSelection = { deletedBefore: string } | { owner: Owner; id: string };

function inPurgeSelection(
  eb: ExpressionBuilder<DatabaseSchema, 'recovery_keys'>,
  selection: PurgeSelection,
) {
  if ('deletedBefore' in selection) {
    return eb.and([
      eb('deleted_at', 'is not', null),
      eb('deleted_at', '<', selection.deletedBefore),
    ]);
  }
  const { column, value } = ownerFilter(selection.owner);
  return eb.and([
    eb('deleted_at', 'is not', null),
    eb(column, '=', value),
    eb('id', '=', selection.id),
  ]);
}

/**
 * Removes keys deleted before `before` with everything that hangs off them: their sealed
 * passwords and backups, the uploaded files that held only purged keys (with the sealed file),
 * and the volumes and devices (with their name terms) no other key is on. Nothing of a purged
 * key stays listed, searchable or downloadable.
 */
export function purgeKeysDeletedBefore(db: Db, before: string): Promise<Purged> {
  return purgeKeys(db, { deletedBefore: before });
}

/** The same purge for one key of the owner, and only while it is in the bin. */
export function purgeDeletedKey(db: Db, owner: Owner, id: string): Promise<Purged> {
  return purgeKeys(db, { owner, id });
}

async function purgeKeys(db: Db, selection: PurgeSelection): Promise<Purged> {
  const expired = await db
    .selectFrom('recovery_keys')
    .select(['id', 'volume_id'])
    .where((eb) => inPurgeSelection(eb, selection))
    .execute();
  const keyIds: string[] = [];
  const linkedFiles = new Set<string>();
  await forEachChunk(
    expired.map((row) => row.id),
    async (chunk) => {
      const links = await db
        .selectFrom('uploaded_file_keys')
        .select('file_id')
        .where('key_id', 'in', chunk)
        .execute();
      for (const link of links) linkedFiles.add(link.file_id);
      // The same condition again: a key restored meanwhile (PostgreSQL) stays.
      const deleted = await db
        .deleteFrom('recovery_keys')
        .where('id', 'in', chunk)
        .where((eb) => inPurgeSelection(eb, selection))
        .returning('id')
        .execute();
      const ids = deleted.map((row) => row.id);
      keyIds.push(...ids);
      if (ids.length === 0) return;
      await db
        .deleteFrom('sealed_secrets')
        .where('kind', '=', recoveryPasswordKind)
        .where('bound_id', 'in', ids)
        .execute();
    },
  );
  // Deleting the keys removed their links to files (on delete cascade): a file they were in
  // that has no link left held only purged keys.
  const fileIds: string[] = [];
  await forEachChunk([...linkedFiles], async (chunk) => {
    const deleted = await db
      .deleteFrom('uploaded_files')
      .where('id', 'in', chunk)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('uploaded_file_keys')
              .select('uploaded_file_keys.key_id')
              .whereRef('uploaded_file_keys.file_id', '=', 'uploaded_files.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    const ids = deleted.map((row) => row.id);
    fileIds.push(...ids);
    if (ids.length === 0) return;
    await db
      .deleteFrom('sealed_secrets')
      .where('kind', '=', uploadedFileKind)
      .where('bound_id', 'in', ids)
      .execute();
  });
  const volumeIds = [...new Set(expired.map((row) => row.volume_id))];
  const deviceIds: string[] = [];
  await forEachChunk(volumeIds, async (chunk) => {
    const emptied = await db
      .deleteFrom('volumes')
      .where('id', 'in', chunk)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('recovery_keys')
              .select('recovery_keys.id')
              .whereRef('recovery_keys.volume_id', '=', 'volumes.id'),
          ),
        ),
      )
      .returning('device_id')
      .execute();
    const devices = [...new Set(emptied.map((row) => row.device_id))];
    if (devices.length === 0) return;
    // Their name terms go with them (on delete cascade).
    const removed = await db
      .deleteFrom('devices')
      .where('id', 'in', devices)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('volumes')
              .select('volumes.id')
              .whereRef('volumes.device_id', '=', 'devices.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    deviceIds.push(...removed.map((row) => row.id));
  });
  return { keyIds, fileIds, deviceIds };
}
