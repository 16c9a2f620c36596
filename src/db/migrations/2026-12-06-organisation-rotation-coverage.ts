import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * What an organisation needs to know about its keys beyond holding them: which must be replaced
 * (revealed, or marked by an admin) until a newer key for the same drive arrives, which were
 * proven against their volume, when each device last reported, and its audit by organisation.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('recovery_keys').addColumn('rotation_required_at', 'text').execute();
  await db.schema.alterTable('recovery_keys').addColumn('proven_at', 'text').execute();
  // The report and the device agent look up the few keys waiting for rotation.
  await db.schema
    .createIndex('recovery_keys_rotation')
    .on('recovery_keys')
    .columns(['owner_org_id', 'rotation_required_at'])
    .where(sql.ref('rotation_required_at'), 'is not', null)
    .execute();

  await db.schema.alterTable('devices').addColumn('last_seen_at', 'text').execute();

  // An organisation's audit page reads its events newest first.
  await db.schema
    .createIndex('audit_events_organisation')
    .on('audit_events')
    .columns(['organisation_id', 'seq'])
    .where(sql.ref('organisation_id'), 'is not', null)
    .execute();
}
