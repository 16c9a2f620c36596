import type { Kysely } from 'kysely';
import { insertRow, preparedQuery } from '../../../db/prepared-query.js';
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
