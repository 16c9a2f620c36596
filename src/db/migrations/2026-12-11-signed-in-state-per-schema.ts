import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { signedInStateChannel, signedInStateNotifier } from '../signed-in-state.js';

/**
 * PostgreSQL: announcements name the schema of the table written as well as the table. The
 * channel is the whole database's, so a process would otherwise also count writes to another
 * Keyhold database kept in another schema of the same PostgreSQL database, and read its
 * signed-in state again for nothing. The triggers stay; they run the function replaced here.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`
    create or replace function ${sql.raw(signedInStateNotifier)}() returns trigger language plpgsql as $$
    begin
      perform pg_notify(${sql.lit(signedInStateChannel)}, tg_table_schema || '.' || tg_table_name);
      return null;
    end
    $$`.execute(db);
}
