import { sql } from 'kysely';
import type { Owner } from '../../../db/owners.js';
import { preparedQuery } from '../../../db/prepared-query.js';
import { summaries, summariesOf, summaryColumns, type KeySummaryRow } from './keys-repo.js';
import { ownerFilter, type Db, type OwnerColumn } from './owner-filter.js';

/**
 * Queries for lists of keys: pages, Key ID and device name search, export and the vault.
 * Every function that reads or changes owned rows takes the owner and filters by it, so a row of
 * someone else is never found (and so answers like a missing one). Rows come back as plain
 * objects; the service decides what of them a response may show.
 */

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

/**
 * The owner's LUKS keys whose volume's LUKS UUID lies in the range (the same hex digits a Key ID
 * prefix has), on the (owner, luks_uuid_hex) index; unordered, as above.
 */
function keysInLuksUuidRange(
  db: Db,
  values: PageValues,
  range: RangeValues,
  shape: PageShape & { keyIdHasUpperEnd: boolean },
) {
  const query = pageOfSummaries(db, values, shape).where('k.luks_uuid_hex', '>=', range.from);
  return shape.keyIdHasUpperEnd ? query.where('k.luks_uuid_hex', '<', range.to) : query;
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

const luksUuidRangeQuery = preparedQuery(
  (db, values: PageValues & RangeValues, shape: PageShape & { keyIdHasUpperEnd: boolean }) =>
    keysInLuksUuidRange(db, values, values, shape),
);

/**
 * The owner's keys whose protector ID or LUKS UUID lies in the range, after the cursor, newest
 * first, each key once.
 */
export async function listKeysByKeyIdOrLuksUuid(
  db: Db,
  owner: Owner,
  range: PrefixRange,
  page: KeyPageQuery,
): Promise<KeySummaryRow[]> {
  const { shape, values } = pageOf(owner, page);
  const rangeShape = { ...shape, keyIdHasUpperEnd: hasUpperEnd(range) };
  const rangeQueryValues = { ...values, ...rangeValues(range) };
  const rows = [
    ...(await protectorRangeQuery(db, rangeQueryValues, rangeShape)),
    ...(await luksUuidRangeQuery(db, rangeQueryValues, rangeShape)),
  ];
  const byId = new Map(rows.map((row) => [row.id, row]));
  return [...byId.values()].sort(newestFirst).slice(0, shape.rows);
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
  const devices = termsInRange(db, values, range, shape).select('device_id');
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

/** The owner's device name terms in the range. */
function termsInRange(
  db: Db,
  values: PageValues,
  range: RangeValues,
  shape: PageShape & { nameHasUpperEnd: boolean },
) {
  const terms = db
    .selectFrom('device_terms')
    .where(shape.column, '=', values.owner)
    .where('term', '>=', range.from);
  return shape.nameHasUpperEnd ? terms.where('term', '<', range.to) : terms;
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

/**
 * Both halves of a search in one statement: one trip through the database per search. Most
 * searches are for a Key ID, which no device name term starts with: the device-name half asks
 * first whether any term is in the range at all (once, a condition on no row), which spares
 * SQLite setting up the temporary tables that half sorts in, a third of a Key ID search's time
 * in the database.
 */
const searchQuery = preparedQuery((db, values: SearchValues, shape: SearchShape) => {
  const nameRange = { from: values.nameFrom, to: values.nameTo };
  const byName = db
    .selectFrom(keysOnDevicesWithTerm(db, values, nameRange, shape).as('by_name'))
    .selectAll()
    .where((eb) =>
      eb.exists(termsInRange(db, values, nameRange, shape).select(sql.lit(1).as('found'))),
    );
  if (!shape.byKeyId) return byName;
  const hexRange = { from: values.keyIdFrom, to: values.keyIdTo };
  return db
    .selectFrom(keysInProtectorRange(db, values, hexRange, shape).as('by_key_id'))
    .selectAll()
    .unionAll(
      db
        .selectFrom(keysInLuksUuidRange(db, values, hexRange, shape).as('by_luks_uuid'))
        .selectAll(),
    )
    .unionAll(byName);
});

/**
 * A search: the owner's keys whose protector ID or LUKS UUID lies in `keyIds` (undefined when the
 * text cannot be a Key ID prefix) and those on devices with a name term in `names`, newest first, each key
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
// Vault contents

/** The owner's keys in the vault (not deleted), with what their names are made of. */
export function keysInVault(db: Db, owner: Owner): Promise<KeySummaryRow[]> {
  return summariesOf(db, owner)
    .where('k.in_vault_at', 'is not', null)
    .where('k.deleted_at', 'is', null)
    .orderBy('k.in_vault_at', 'desc')
    .execute();
}
