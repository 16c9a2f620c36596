import { sql, type Kysely, type QueryCreator, type SelectQueryBuilder } from 'kysely';
import type { DialectName } from '../../../db/database.js';
import { insertRow, preparedQuery, preparedStatement } from '../../../db/prepared-query.js';
import type { AuditEventsTable, DatabaseSchema } from '../../../db/schema.js';

/** Claims the next position in the chain; the update also locks the head until commit. */
// Every audited change runs these three: prepared once.
const claimQuery = preparedQuery((db) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['last_seq', 'last_hash']),
);

const headHashQuery = preparedQuery((db, values: { hash: string }) =>
  db.updateTable('audit_head').set({ last_hash: values.hash }).where('id', '=', 1),
);

export async function claimNextSeq(
  trx: Kysely<DatabaseSchema>,
): Promise<{ seq: number; prevHash: string }> {
  const [head] = await claimQuery(trx, {}, undefined);
  if (!head) throw new Error('the audit chain head is missing');
  return { seq: head.last_seq, prevHash: head.last_hash };
}

export async function insertEvent(
  trx: Kysely<DatabaseSchema>,
  event: AuditEventsTable,
): Promise<void> {
  await insertRow(trx, 'audit_events', event);
  await headHashQuery(trx, { hash: event.hash }, undefined);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: an event appended in the statement that writes what it records

export interface ChainHead {
  seq: number;
  hash: string;
}

/** An event with its place in the chain, and the head it links to (its seq - 1 and prev_hash). */
export type LinkedEvent = AuditEventsTable;

/** What the writes that go with an event may read: `chain_linked` has a row if the event was. */
interface ChainTables {
  chain_head: { last_seq: number; last_hash: string };
  chain_linked: { last_seq: number };
}

export type LinkedWritesDb = QueryCreator<DatabaseSchema & ChainTables>;

export const auditEventColumns = [
  'id',
  'seq',
  'at',
  'action',
  'actor_user_id',
  'subject_user_id',
  'organisation_id',
  'ip_address',
  'user_agent',
  'details',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEventsTable)[];

/**
 * One statement that appends `event` if the chain's head is still the event it links to, and
 * answers with the head as it is afterwards: the event's own when it was appended, else the one
 * to link to instead. The head is compared after its row is locked (in the new values, not the
 * WHERE clause), so a statement that waited for another's commit compares with what that one
 * left, and an event is never appended behind a head other than the one its hash covers.
 *
 * `alsoWrites` adds the writes the event records (each selecting from `chain_linked`, so they
 * happen exactly when the event is appended): a change and its audit event in one statement.
 */
export function linkedEventStatement(
  db: Kysely<DatabaseSchema>,
  event: LinkedEvent,
  alsoWrites: (db: LinkedWritesDb) => LinkedWritesDb = (same) => same,
): SelectQueryBuilder<DatabaseSchema & ChainTables, 'chain_head', ChainTables['chain_head']> {
  const linked = db
    .with('chain_head', (qc) =>
      qc
        .updateTable('audit_head')
        .set((eb) => {
          const stillThere = eb.and([
            eb(eb('last_seq', '+', 1), '=', event.seq),
            eb('last_hash', '=', event.prev_hash),
          ]);
          return {
            last_seq: eb.case().when(stillThere).then(event.seq).else(eb.ref('last_seq')).end(),
            last_hash: eb.case().when(stillThere).then(event.hash).else(eb.ref('last_hash')).end(),
          };
        })
        .where('id', '=', 1)
        .returning(['last_seq', 'last_hash']),
    )
    .with('chain_linked', (qc) =>
      qc
        .selectFrom('chain_head')
        .select('last_seq')
        .where('last_seq', '=', event.seq)
        .where('last_hash', '=', event.hash),
    )
    .with('chain_event', (qc) =>
      qc
        .insertInto('audit_events')
        .columns(auditEventColumns)
        .expression((eb) =>
          eb
            .selectFrom('chain_linked')
            .select(auditEventColumns.map((column) => eb.val(event[column]).as(column))),
        ),
    );
  return alsoWrites(linked as unknown as LinkedWritesDb)
    .selectFrom('chain_head')
    .select(['last_seq', 'last_hash']);
}

const eventAloneStatement = preparedStatement((db, event: LinkedEvent) =>
  linkedEventStatement(db, event),
);

const headLockQuery = preparedStatement((db) =>
  db.selectFrom('audit_head').select(['last_seq', 'last_hash']).where('id', '=', 1).forUpdate(),
);

/**
 * Locks the chain's head until the transaction ends, and reads it: appends built on it after
 * this cannot miss.
 */
export function headLockStatement(db: Kysely<DatabaseSchema>) {
  return headLockQuery(db, {}, undefined);
}

export function appendEventStatement(db: Kysely<DatabaseSchema>, event: LinkedEvent) {
  return eventAloneStatement(db, event, undefined);
}

/** The events a person may see: what they did, and what was done to their account. */
export function eventsOfUser(
  db: Kysely<DatabaseSchema>,
  userId: string,
  { beforeSeq, limit }: { beforeSeq: number | undefined; limit: number },
): Promise<AuditEventsTable[]> {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject_user_id', '=', userId)]));
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  return query.orderBy('seq', 'desc').limit(limit).execute();
}

export function eventsInOrder(
  db: Kysely<DatabaseSchema>,
  afterSeq: number,
  limit: number,
): Promise<AuditEventsTable[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export function chainHead(
  db: Kysely<DatabaseSchema>,
): Promise<{ last_seq: number; last_hash: string }> {
  return db
    .selectFrom('audit_head')
    .select(['last_seq', 'last_hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
}

/** What an organisation's audit can be narrowed to; every field is optional. */
export interface OrganisationAuditFilter {
  actorId?: string | undefined;
  actions?: readonly string[] | undefined;
  /** A device id, or a device name (any case). */
  device?: string | undefined;
  /** Upper-case hex digits the event's Key ID starts with. */
  keyIdPrefix?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface OrganisationAuditRow extends AuditEventsTable {
  actor_email: string | null;
  actor_display_name: string | null;
  subject_email: string | null;
  subject_display_name: string | null;
}

/** A text field of an event's JSON details, in each database's words. */
function detail(dialect: DialectName, field: string) {
  return dialect === 'postgres'
    ? sql<string | null>`(audit_events.details::jsonb ->> ${field})`
    : sql<string | null>`json_extract(audit_events.details, ${`$.${field}`})`;
}

/** A page of an organisation's events, newest first, below `beforeSeq`. */
export function eventsOfOrganisation(
  db: Kysely<DatabaseSchema>,
  dialect: DialectName,
  organisationId: string,
  filter: OrganisationAuditFilter,
  { beforeSeq, limit }: { beforeSeq: number | undefined; limit: number },
): Promise<OrganisationAuditRow[]> {
  let query = db
    .selectFrom('audit_events')
    .leftJoin('users as actor', 'actor.id', 'audit_events.actor_user_id')
    .leftJoin('users as subject', 'subject.id', 'audit_events.subject_user_id')
    .selectAll('audit_events')
    .select([
      'actor.email as actor_email',
      'actor.display_name as actor_display_name',
      'subject.email as subject_email',
      'subject.display_name as subject_display_name',
    ])
    .where('audit_events.organisation_id', '=', organisationId);
  if (filter.actorId !== undefined) {
    query = query.where('audit_events.actor_user_id', '=', filter.actorId);
  }
  if (filter.actions !== undefined && filter.actions.length > 0) {
    query = query.where('audit_events.action', 'in', filter.actions);
  }
  if (filter.from !== undefined) query = query.where('audit_events.at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('audit_events.at', '<', filter.to);
  if (filter.device !== undefined) {
    const device = filter.device;
    query = query.where((eb) =>
      eb.or([
        eb(detail(dialect, 'deviceId'), '=', device),
        eb(sql`lower(${detail(dialect, 'deviceName')})`, '=', device.toLowerCase()),
      ]),
    );
  }
  if (filter.keyIdPrefix !== undefined) {
    query = query.where(
      sql`replace(${detail(dialect, 'protectorId')}, '-', '')`,
      'like',
      `${filter.keyIdPrefix}%`,
    );
  }
  if (beforeSeq !== undefined) query = query.where('audit_events.seq', '<', beforeSeq);
  return query.orderBy('audit_events.seq', 'desc').limit(limit).execute();
}
