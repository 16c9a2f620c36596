import { join } from 'node:path';
import type { Kysely } from 'kysely';
import {
  MasterKeyError,
  loadKeyring,
  masterKeyFileName,
  missingMasterKeyFile,
  type Keyring,
  type LoadedKeyring,
} from '../crypto/master-key.js';
import { SealedSecrets } from '../crypto/sealed-secrets.js';
import { SecretIntegrityError } from '../crypto/envelope.js';
import { prepareDataDir } from '../db/data-dir.js';
import { openDatabase, type Database } from '../db/database.js';
import { isMissingTable } from '../db/errors.js';
import { migrateToLatest } from '../db/migrate.js';
import { backupBeforeMigrating } from '../operations/upgrade.js';
import type { DatabaseSchema } from '../db/schema.js';
import { BrowserDirectory } from './browser-directory.js';
import type { Config } from './config.js';
import { CredentialLimiter } from './credential-limits.js';
import { AuditLog, loadAuditKey } from './features/audit/index.js';
import { PasswordHasher } from './features/auth/index.js';
import { SigninPolicyCache } from './features/orgs/index.js';
import { Mail } from './mail/outbox.js';
import { dataMessages } from '../operations/data-messages.js';

/**
 * Everything the services share, built once per process and handed down explicitly (no global
 * state, no container): tests build one with their own database and clock.
 */
export interface ServerContext {
  config: Config;
  database: Database;
  db: Kysely<DatabaseSchema>;
  keyring: Keyring;
  secrets: SealedSecrets;
  passwords: PasswordHasher;
  audit: AuditLog;
  browsers: BrowserDirectory;
  /** Each organisation's sign-in policies, as every request to its library checks them. */
  signinPolicies: SigninPolicyCache;
  limiter: CredentialLimiter;
  /** The outbox: queue mail here (nothing is queued when no SMTP server is configured). */
  mail: Mail;
  now: () => Date;
  /** True when this start created the master key file (worth telling the operator). */
  createdMasterKey: boolean;
  /** The backup taken before this start migrated the database, if it did. */
  upgradeBackup: string | undefined;
  close(): Promise<void>;
}

export interface ContextOptions {
  now?: () => Date;
  /** False for admin commands: they need the existing master key, never a new one. */
  createMasterKey?: boolean;
}

/** Whether anything was ever sealed in this database (false too before its first migration). */
async function holdsSealedSecrets(database: Database): Promise<boolean> {
  try {
    const row = await database.db
      .selectFrom('sealed_secrets')
      .select('id')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  } catch (error) {
    if (isMissingTable(error)) return false;
    throw error;
  }
}

/**
 * Creates `<data-dir>/master.key` for a database that has never sealed anything. One that has
 * lost its key gets no new one: the server would start, then fail on every secret, and the new
 * file would hide that the real key is missing.
 */
async function firstMasterKey(config: Config, database: Database): Promise<LoadedKeyring> {
  if (await holdsSealedSecrets(database)) {
    throw new MasterKeyError(
      dataMessages.masterKeyMissingForSecrets(
        join(config.dataDir, masterKeyFileName),
        database.location,
      ),
    );
  }
  return loadKeyring({ ...config, create: true });
}

/** Opens the database, brings its schema up to date and checks the master key against it. */
export async function createServerContext(
  config: Config,
  { now = () => new Date(), createMasterKey = true }: ContextOptions = {},
): Promise<ServerContext> {
  // A new master key only for a database with nothing sealed yet, which takes opening it first;
  // any other key must exist before the database is touched.
  if (!config.databaseUrl || (!config.masterKey && !config.masterKeyFile)) {
    prepareDataDir(config.dataDir);
  }
  const createKey = createMasterKey && missingMasterKeyFile(config) !== undefined;
  const existing = createKey ? undefined : loadKeyring({ ...config, create: false });
  const database = openDatabase(config);
  try {
    const { keyring, created } = existing ?? (await firstMasterKey(config, database));
    const upgradeBackup = await backupBeforeMigrating({
      database,
      dataDir: config.dataDir,
      keyring: () => keyring,
      enabled: config.backupBeforeMigrate,
      now: now(),
    });
    await migrateToLatest(database);
    const secrets = new SealedSecrets(keyring, now);
    let auditKey: Buffer;
    try {
      auditKey = await loadAuditKey(database.db, secrets);
    } catch (error) {
      if (error instanceof SecretIntegrityError) {
        throw new MasterKeyError(
          dataMessages.masterKeyNotThisDatabase(keyring.source, database.location),
        );
      }
      throw error;
    }
    const passwords = new PasswordHasher({
      memoryKib: config.argon2MemoryKib,
      iterations: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    });
    passwords.warmUp();
    return {
      config,
      database,
      db: database.db,
      keyring,
      secrets,
      passwords,
      audit: new AuditLog(auditKey, now, database),
      browsers: new BrowserDirectory(database),
      signinPolicies: new SigninPolicyCache(database),
      limiter: new CredentialLimiter(database.db, now),
      mail: new Mail(
        database.db,
        now,
        config.smtpUrl && config.mailFrom && config.publicUrl
          ? { smtpUrl: config.smtpUrl, from: config.mailFrom, publicUrl: config.publicUrl }
          : undefined,
      ),
      now,
      createdMasterKey: created,
      upgradeBackup,
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
