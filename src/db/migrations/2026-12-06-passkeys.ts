import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Passkeys (WebAuthn credentials) and the one-time challenges their ceremonies sign. A challenge
 * is removed as it is used, so an assertion can be accepted once at most.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    // The authenticator's credential ID, base64url: what an assertion names.
    .addColumn('credential_id', 'text', (col) => col.notNull().unique())
    .addColumn('public_key', sql.raw(binary), (col) => col.notNull())
    .addColumn('sign_count', 'integer', (col) => col.notNull())
    .addColumn('transports', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('passkeys_user').on('passkeys').column('user_id').execute();

  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('challenge', 'text', (col) => col.notNull().unique())
    .addColumn('purpose', 'text', (col) => col.notNull())
    // Set for a ceremony of a known account (registration, second factor, presence).
    .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addCheckConstraint(
      'webauthn_challenges_purpose',
      sql`purpose in ('register', 'signin', 'second_factor', 'presence')`,
    )
    .execute();
  await db.schema
    .createIndex('webauthn_challenges_expiry')
    .on('webauthn_challenges')
    .column('expires_at')
    .execute();
}
