import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Organisation sign-in: each organisation's OpenID provider (its client secret is a sealed
 * secret), the email domains it claims (each by one organisation only), the provider accounts
 * linked to Keyhold accounts, and the sign-ins waiting for the provider's answer. Organisations
 * also gain two policies: which roles need a second factor, and their own step-up window.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('organisation_sso')
    .addColumn('organisation_id', 'text', (col) =>
      col.primaryKey().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('require_sso', 'integer', (col) => col.notNull())
    .addColumn('default_role', 'text', (col) => col.notNull())
    .addColumn('groups_claim', 'text')
    // JSON object: group name -> role.
    .addColumn('group_roles', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint(
      'organisation_sso_default_role',
      sql`default_role in ('admin', 'helpdesk', 'member', 'auditor')`,
    )
    .execute();

  await db.schema
    .createTable('organisation_domains')
    // Lower-case; the primary key makes a claim exclusive to one organisation.
    .addColumn('domain', 'text', (col) => col.primaryKey())
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('verified_at', 'text')
    .addColumn('verified_by', 'text', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('organisation_domains_organisation')
    .on('organisation_domains')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('sso_identities')
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_signin_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('sso_identities_pk', ['organisation_id', 'issuer', 'subject'])
    .execute();

  await db.schema
    .createTable('sso_signin_states')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // SHA-256 of the state parameter: what the provider hands back.
    .addColumn('state_hash', 'text', (col) => col.notNull().unique())
    // SHA-256 of the value of the cookie set in the browser that started the sign-in.
    .addColumn('browser_binding_hash', 'text', (col) => col.notNull())
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('nonce', 'text', (col) => col.notNull())
    .addColumn('code_verifier', 'text', (col) => col.notNull())
    .addColumn('redirect_uri', 'text', (col) => col.notNull())
    .addColumn('next_path', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('sso_signin_states_expiry')
    .on('sso_signin_states')
    .column('expires_at')
    .execute();

  // Roles (comma-separated) that need a second factor to use the organisation's library.
  await db.schema
    .alterTable('organisations')
    .addColumn('second_factor_roles', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  // Minutes after sign-in within which a reveal needs no step-up; null: the server's setting.
  await db.schema.alterTable('organisations').addColumn('step_up_minutes', 'integer').execute();
}
