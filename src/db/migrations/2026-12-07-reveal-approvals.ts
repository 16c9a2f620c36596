import { sql, type Kysely } from 'kysely';

/**
 * Approvals of helpdesk reveals: a request (key, requester, reason, ticket) waits for an owner,
 * an admin or a second helpdesk person; once approved it lets its requester reveal the key once
 * before it lapses. Organisations gain how long an approval lasts and whether their admins hear
 * of every reveal.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reveal_approvals')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('key_id', 'text', (col) =>
      col.notNull().references('recovery_keys.id').onDelete('cascade'),
    )
    .addColumn('requester_user_id', 'text', (col) =>
      col.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('reason_text', 'text')
    .addColumn('ticket', 'text')
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('decided_by_user_id', 'text', (col) =>
      col.references('users.id').onDelete('set null'),
    )
    .addColumn('decided_at', 'text')
    .addColumn('decision_note', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addCheckConstraint('reveal_approvals_state', sql`state in ('pending', 'approved', 'denied')`)
    .execute();
  await db.schema
    .createIndex('reveal_approvals_organisation')
    .on('reveal_approvals')
    .columns(['organisation_id', 'created_at'])
    .execute();

  await db.schema
    .alterTable('organisations')
    .addColumn('approval_lifetime_hours', 'integer', (col) => col.notNull().defaultTo(24))
    .execute();
  await db.schema
    .alterTable('organisations')
    .addColumn('notify_admins', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
}
