import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { signedInStateNotifier } from '../signed-in-state.js';

/**
 * Device check-ins that write nothing to the database for their challenge or access token: both
 * are signed by the server instead of stored. What stays in the database is the replay guard (the
 * issue time of the newest challenge each device used, in the device's row, which a token request
 * updates anyway for its last-seen time) and the list of ended enrollments, which every server
 * process keeps in memory until it changes; on PostgreSQL its writes are announced like the
 * signed-in state's.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('enrolled_devices')
    .addColumn('last_challenge_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('ended_enrollments')
    .addColumn('enrolled_device_id', 'text', (col) =>
      col.primaryKey().references('enrolled_devices.id').onDelete('cascade'),
    )
    .addColumn('ended_at', 'text', (col) => col.notNull())
    .execute();
  await sql`insert into ended_enrollments (enrolled_device_id, ended_at)
    select id, coalesce(retired_at, created_at) from enrolled_devices where status <> 'active'`.execute(
    db,
  );
  await db.schema.dropTable('device_challenges').execute();
  await db.schema.dropTable('device_access_tokens').execute();
  if (dialect === 'postgres') {
    await sql`
      create trigger ended_enrollments_announce_change
      after insert or update or delete or truncate on ended_enrollments
      for each statement execute function ${sql.raw(signedInStateNotifier)}()`.execute(db);
  }
}
