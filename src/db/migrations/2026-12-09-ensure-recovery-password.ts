import type { Kysely } from 'kysely';

/**
 * The organisation policy `ensureRecoveryPassword`: enrolled devices add a recovery password
 * protector to an OS or fixed drive that has none. Off until an owner or admin turns it on, since
 * it changes the organisation's drives.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('organisations')
    .addColumn('ensure_recovery_password', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
}
