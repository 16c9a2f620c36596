import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import {
  signedInStateChannel,
  signedInStateNotifier,
  signedInStateTables,
} from '../signed-in-state.js';

/**
 * PostgreSQL: every statement that writes to a table signed-in requests are resolved from
 * announces it on a channel, in the writing transaction (so the announcement goes out with the
 * commit and never for a rollback). Triggers catch every write path, older versions' and admin
 * commands' included. SQLite needs none: its processes see each other's commits in the file.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`
    create function ${sql.raw(signedInStateNotifier)}() returns trigger language plpgsql as $$
    begin
      perform pg_notify(${sql.lit(signedInStateChannel)}, tg_table_name);
      return null;
    end
    $$`.execute(db);
  for (const table of signedInStateTables) {
    await sql`
      create trigger ${sql.raw(`${table}_announce_change`)}
      after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function ${sql.raw(signedInStateNotifier)}()`.execute(db);
  }
}
