import { sql, type Kysely } from 'kysely';

/**
 * Devices that escrow their own keys: enrollment tokens an organisation hands to its computers,
 * each enrolled computer's public key and status, the one-time challenges it signs and the
 * short-lived access tokens it gets for them, the organisation's escrow key pair (its private
 * half is a sealed secret), and on each drive the protector types the device last reported.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('enrollment_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('max_uses', 'integer', (col) => col.notNull())
    .addColumn('uses', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('assign_user_id', 'text', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_by', 'text', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('revoked_at', 'text')
    .addCheckConstraint('enrollment_tokens_uses', sql`uses >= 0 and uses <= max_uses`)
    .execute();
  await db.schema
    .createIndex('enrollment_tokens_organisation')
    .on('enrollment_tokens')
    .columns(['organisation_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('enrolled_devices')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('device_id', 'text', (col) =>
      col.notNull().references('devices.id').onDelete('cascade'),
    )
    .addColumn('enrollment_token_id', 'text', (col) =>
      col.references('enrollment_tokens.id').onDelete('set null'),
    )
    .addColumn('public_key', 'text', (col) => col.notNull())
    .addColumn('hostname', 'text', (col) => col.notNull())
    .addColumn('os', 'text', (col) => col.notNull())
    .addColumn('hardware_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('last_sequence', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_seen_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('retired_at', 'text')
    .addCheckConstraint('enrolled_devices_status', sql`status in ('active', 'retired', 'replaced')`)
    .execute();
  await db.schema
    .createIndex('enrolled_devices_hardware')
    .on('enrolled_devices')
    .columns(['organisation_id', 'hardware_id'])
    .execute();
  await db.schema
    .createIndex('enrolled_devices_device')
    .on('enrolled_devices')
    .column('device_id')
    .execute();

  await db.schema
    .createTable('device_challenges')
    .addColumn('challenge_hash', 'text', (col) => col.primaryKey())
    .addColumn('enrolled_device_id', 'text', (col) =>
      col.notNull().references('enrolled_devices.id').onDelete('cascade'),
    )
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('device_challenges_expiry')
    .on('device_challenges')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('device_access_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('enrolled_device_id', 'text', (col) =>
      col.notNull().references('enrolled_devices.id').onDelete('cascade'),
    )
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('device_access_tokens_expiry')
    .on('device_access_tokens')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('organisation_escrow_keys')
    .addColumn('organisation_id', 'text', (col) =>
      col.primaryKey().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('public_key', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  // JSON array of the protector types the device last reported for the drive.
  await db.schema.alterTable('volumes').addColumn('protector_types', 'text').execute();
}
