import type { Kysely } from 'kysely';
import { MasterKeyError, loadKeyring, type Keyring } from '../crypto/master-key.js';
import { SealedSecrets } from '../crypto/sealed-secrets.js';
import { SecretIntegrityError } from '../crypto/envelope.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { DatabaseSchema } from '../db/schema.js';
import { BrowserDirectory } from './browser-directory.js';
import type { Config } from './config.js';
import { CredentialLimiter } from './credential-limits.js';
import { AuditLog, loadAuditKey } from './features/audit/service.js';
import { PasswordHasher } from './features/auth/passwords.js';

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
  limiter: CredentialLimiter;
  now: () => Date;
  /** True when this start created the master key file (worth telling the operator). */
  createdMasterKey: boolean;
  close(): Promise<void>;
}

export interface ContextOptions {
  now?: () => Date;
  /** False for admin commands: they need the existing master key, never a new one. */
  createMasterKey?: boolean;
  /** False for admin commands: they end long before a WAL checkpoint thread would help. */
  checkpointInBackground?: boolean;
}

/** Opens the database, brings its schema up to date and checks the master key against it. */
export async function createServerContext(
  config: Config,
  {
    now = () => new Date(),
    createMasterKey = true,
    checkpointInBackground = true,
  }: ContextOptions = {},
): Promise<ServerContext> {
  const { keyring, created } = loadKeyring({ ...config, create: createMasterKey });
  const database = openDatabase({
    ...config,
    backgroundCheckpoints: checkpointInBackground
      ? (problem) => {
          process.emitWarning(`checkpointing the SQLite WAL failed: ${problem}`);
        }
      : undefined,
  });
  try {
    await migrateToLatest(database);
    const secrets = new SealedSecrets(keyring, now);
    let auditKey: Buffer;
    try {
      auditKey = await loadAuditKey(database.db, secrets);
    } catch (error) {
      if (error instanceof SecretIntegrityError) {
        throw new MasterKeyError(
          `the master key from ${keyring.source} does not belong to the database at ` +
            `${database.location}. Start with the master key this database was created with.`,
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
      audit: new AuditLog(auditKey, now, database.transaction),
      browsers: new BrowserDirectory(database),
      limiter: new CredentialLimiter(database.db, now),
      now,
      createdMasterKey: created,
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
