import {
  Migrator,
  sql,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';
import { dataMessages } from '../operations/data-messages.js';
import { OperationError, operationMessages } from '../operations/messages.js';
import type { Wording } from '../server/messages.js';
import type { Database, DialectName } from './database.js';
import { isMissingTable } from './errors.js';
import * as accountsSessionsAudit from './migrations/2025-11-25-accounts-sessions-audit.js';
import * as keyLibrary from './migrations/2025-11-26-key-library.js';
import * as deviceAuthorization from './migrations/2025-11-27-device-authorization.js';
import * as feedbackWithoutKeys from './migrations/2026-12-06-feedback-without-keys.js';
import * as organisationLibraries from './migrations/2026-12-06-organisation-libraries.js';
import * as passkeys from './migrations/2026-12-06-passkeys.js';
import * as signedInStateNotifications from './migrations/2026-12-06-signed-in-state-notifications.js';
import * as singleSignOn from './migrations/2026-12-06-single-sign-on.js';
import * as deviceEnrollment from './migrations/2026-12-07-device-enrollment.js';
import * as organisationRotationCoverage from './migrations/2026-12-07-organisation-rotation-coverage.js';
import * as revealApprovals from './migrations/2026-12-07-reveal-approvals.js';
import * as mail from './migrations/2026-12-08-mail.js';
import * as ensureRecoveryPassword from './migrations/2026-12-09-ensure-recovery-password.js';
import * as luksKeys from './migrations/2026-12-09-luks-keys.js';
import * as statelessDeviceCredentials from './migrations/2026-12-10-stateless-device-credentials.js';
import * as signedInStatePerSchema from './migrations/2026-12-11-signed-in-state-per-schema.js';

/** Every migration in order; a new one is a new dated file added at the end of this list. */
const migrationModules = [
  ['2025-11-25-accounts-sessions-audit', accountsSessionsAudit],
  ['2025-11-26-key-library', keyLibrary],
  ['2025-11-27-device-authorization', deviceAuthorization],
  ['2026-12-06-feedback-without-keys', feedbackWithoutKeys],
  ['2026-12-06-organisation-libraries', organisationLibraries],
  ['2026-12-06-passkeys', passkeys],
  ['2026-12-06-signed-in-state-notifications', signedInStateNotifications],
  ['2026-12-06-single-sign-on', singleSignOn],
  ['2026-12-07-device-enrollment', deviceEnrollment],
  ['2026-12-07-organisation-rotation-coverage', organisationRotationCoverage],
  ['2026-12-07-reveal-approvals', revealApprovals],
  ['2026-12-08-mail', mail],
  ['2026-12-09-ensure-recovery-password', ensureRecoveryPassword],
  ['2026-12-09-luks-keys', luksKeys],
  ['2026-12-10-stateless-device-credentials', statelessDeviceCredentials],
  ['2026-12-11-signed-in-state-per-schema', signedInStatePerSchema],
] as const;

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}

  getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const [name, module] of migrationModules) {
      migrations[name] = { up: (db) => module.up(db, this.dialect) };
    }
    return Promise.resolve(migrations);
  }
}

async function currentSchema(database: Database): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    database.db,
  );
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new MigrationError(dataMessages.noSchema(database.location));
  }
  return schema;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    readonly wording: Wording,
    options?: ErrorOptions,
  ) {
    super(wording.en, options);
  }
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a lock
 * (a row lock on PostgreSQL) so each migration runs exactly once, in its own transaction.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  await refuseNewerDatabase(database);
  return migrate(database, (migrator) => migrator.migrateToLatest());
}

/** Brings the schema up to the named migration only: tests upgrade data older versions wrote. */
export async function migrateUpTo(database: Database, name: MigrationName): Promise<string[]> {
  return migrate(database, (migrator) => migrator.migrateTo(name));
}

export type MigrationName = (typeof migrationModules)[number][0];

/** The migrations this version knows, oldest first. */
export const knownMigrations: readonly string[] = migrationModules.map(([name]) => name);

/** The migrations already applied (none in a new database), by name. */
export async function appliedMigrationNames(database: Database): Promise<string[]> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(
      database.db,
    );
    return rows.map((row) => row.name).sort();
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}

/**
 * A database a newer Keyhold has migrated is never touched: this version would not know what
 * its new columns mean, and could undo what they protect.
 */
async function refuseNewerDatabase(database: Database): Promise<string[]> {
  const applied = await appliedMigrationNames(database);
  const unknown = applied.find((name) => !knownMigrations.includes(name));
  if (unknown) throw new OperationError(operationMessages.newerSchema(database.location, unknown));
  return applied;
}

/** What `migrateToLatest` would apply, in order; changes nothing. */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const applied = await refuseNewerDatabase(database);
  return knownMigrations.filter((name) => !applied.includes(name));
}

async function migrate(
  database: Database,
  run: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: new InCodeMigrations(database.dialect),
    // Kysely's bookkeeping tables live in the schema in use (the search_path's first), so a
    // database shared by several schemas keeps them apart; the introspector it asks whether they
    // exist looks nowhere else (own-schema-introspector.ts).
    ...(database.dialect === 'postgres'
      ? { migrationTableSchema: await currentSchema(database) }
      : {}),
  });
  const { error, results = [] } = await run(migrator);
  if (error) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new MigrationError(dataMessages.migrationFailed(database.location, failed, reason), {
      cause: error,
    });
  }
  return results.filter((result) => result.status === 'Success').map((r) => r.migrationName);
}
