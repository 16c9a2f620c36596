import { sql, type Kysely } from 'kysely';

/**
 * Signing in a command-line client with the OAuth 2.0 device authorization grant (RFC 8628):
 * the pending requests a person approves in the browser, and the bearer tokens issued for them.
 * Only hashes of device codes and tokens are stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_authorizations')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('device_code_hash', 'text', (col) => col.notNull().unique())
    // Short-lived and useless without a signed-in person approving it, so kept as typed.
    .addColumn('user_code', 'text', (col) => col.notNull().unique())
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('device_name', 'text', (col) => col.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('interval_seconds', 'integer', (col) => col.notNull())
    .addColumn('last_polled_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('decided_at', 'text')
    .addCheckConstraint(
      'device_authorizations_status',
      sql`status in ('pending', 'approved', 'denied', 'issued')`,
    )
    .execute();
  await db.schema
    .createIndex('device_authorizations_expiry')
    .on('device_authorizations')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('last_ip_address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
}
