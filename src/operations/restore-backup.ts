import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { openValue, SecretIntegrityError } from '../crypto/envelope.js';
import { loadKeyring, writeMasterKeyFile, type MasterKey } from '../crypto/master-key.js';
import { openDatabase, redactUrl, sqliteFileName, type Database } from '../db/database.js';
import { knownMigrations } from '../db/migrate.js';
import { ownerFromColumns } from '../db/owners.js';
import { AuditLog } from '../server/features/audit/index.js';
import {
  extractPayload,
  openBackupFile,
  type BackupFile,
  type BackupManifest,
} from './backup-file.js';
import { readDatabaseFacts } from './database-facts.js';
import { OperationError, operationMessages } from './messages.js';
import { masterKeyCheck, openSealedMasterKeys } from './sealed-master-key.js';
import { findOnPath, postgresToolConnection, runTool } from './take-backup.js';

export interface MasterKeyInput {
  /** --master-key-file */
  masterKeyFile?: string | undefined;
  /** KEYHOLD_MASTER_KEY */
  masterKey?: string | undefined;
  /** Asked for only when the backup holds a sealed key and no key was given otherwise. */
  passphrase: () => Promise<string>;
}

export interface BackupCheck {
  manifest: BackupManifest;
  /** Where the master key came from: a file, KEYHOLD_MASTER_KEY or the backup itself. */
  keySource: string;
  /** Secrets opened with the key; undefined where they could not be read without restoring. */
  secretsOpened: number | undefined;
  /** Audit events whose chain links were checked; undefined as above. */
  auditEvents: number | undefined;
}

interface Keys {
  keys: MasterKey[];
  source: string;
}

async function masterKeysFor(manifest: BackupManifest, input: MasterKeyInput): Promise<Keys> {
  if (input.masterKey || input.masterKeyFile) {
    const { keyring } = loadKeyring({ dataDir: tmpdir(), ...input, create: false });
    return {
      keys: keyring.versions().map((version) => keyring.byVersion(version)),
      source: keyring.source,
    };
  }
  if (!manifest.masterKey.sealed) {
    throw new OperationError(operationMessages.masterKeyNeeded(manifest.masterKey.versionsInUse));
  }
  return {
    keys: await openSealedMasterKeys(manifest.masterKey.sealed, await input.passphrase()),
    source: 'the backup (sealed with its passphrase)',
  };
}

/** Before anything is written: each version the secrets use is there and is the same key. */
function checkKeysAgainstManifest(manifest: BackupManifest, { keys, source }: Keys): void {
  for (const version of manifest.masterKey.versionsInUse) {
    const key = keys.find((candidate) => candidate.version === version);
    if (!key) throw new OperationError(operationMessages.masterKeyMissingVersion(source, version));
    if (manifest.masterKey.checks[String(version)] !== masterKeyCheck(key)) {
      throw new OperationError(operationMessages.masterKeyWrong(source, version));
    }
  }
}

function checkMigrationsKnown(manifest: BackupManifest, location: string): void {
  const unknown = manifest.database.migrations.find((name) => !knownMigrations.includes(name));
  if (unknown) throw new OperationError(operationMessages.newerSchema(location, unknown));
}

/**
 * The checks on a restored database: it matches the manifest, every sealed secret opens with the
 * master key, and the audit chain is whole and ends where the manifest says.
 */
async function checkRestoredDatabase(
  database: Database,
  manifest: BackupManifest,
  { keys, source }: Keys,
): Promise<{ secretsOpened: number; auditEvents: number }> {
  const facts = await readDatabaseFacts(database.db, database.dialect);
  for (const [table, expected] of Object.entries(manifest.counts)) {
    const found = facts.counts[table] ?? 0;
    if (found !== expected) {
      throw new OperationError(operationMessages.countMismatch(table, expected, found));
    }
  }
  const head = (h: { seq: number; hash: string }) => `${h.seq} ${h.hash}`;
  if (head(facts.auditHead) !== head(manifest.auditHead)) {
    throw new OperationError(
      operationMessages.auditHeadMismatch(head(manifest.auditHead), head(facts.auditHead)),
    );
  }
  const rows = await database.db.selectFrom('sealed_secrets').selectAll().execute();
  let auditKey: Buffer | undefined;
  for (const row of rows) {
    const key = keys.find((candidate) => candidate.version === row.key_version);
    if (!key) {
      throw new OperationError(operationMessages.masterKeyMissingVersion(source, row.key_version));
    }
    let opened: Buffer;
    try {
      opened = openValue(
        key,
        { secretId: row.id, kind: row.kind, boundId: row.bound_id, owner: ownerFromColumns(row) },
        { keyVersion: row.key_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext },
      );
    } catch (error) {
      if (!(error instanceof SecretIntegrityError)) throw error;
      throw new OperationError(operationMessages.secretDoesNotOpen(row.id, row.kind, source));
    }
    if (row.kind === 'audit_chain_key') auditKey = opened;
    else opened.fill(0);
  }
  if (!auditKey) throw new OperationError(operationMessages.noAuditKey);
  const verification = await new AuditLog(auditKey, () => new Date(), database).verify(database.db);
  if (verification.problem !== undefined) {
    throw new OperationError(operationMessages.auditChainBroken(verification.problem));
  }
  return { secretsOpened: rows.length, auditEvents: verification.events };
}

/** Unpacks a SQLite backup into `dir` and runs every check on it there. */
async function unpackAndCheckSqlite(backup: BackupFile, keys: Keys, dir: string) {
  const file = join(dir, sqliteFileName);
  await extractPayload(backup, file);
  const raw = new SqliteDatabase(file, { fileMustExist: true });
  try {
    const problems = raw.pragma('integrity_check', { simple: false }) as {
      integrity_check: string;
    }[];
    const first = problems[0]?.integrity_check ?? 'no answer';
    if (first !== 'ok') throw new OperationError(operationMessages.databaseDamaged(first));
  } catch (error) {
    if (error instanceof OperationError) throw error;
    throw new OperationError(operationMessages.databaseDamaged((error as Error).message));
  } finally {
    raw.close();
  }
  const database = openDatabase({ dataDir: dir });
  try {
    return await checkRestoredDatabase(database, backup.manifest, keys);
  } finally {
    await database.close();
  }
}

export interface VerifyOptions {
  /**
   * PostgreSQL: a database on a server where a scratch database may be created. The backup is
   * restored into a new, empty database there, checked, and that database is dropped again.
   */
  scratchDatabaseUrl?: string | undefined;
}

/**
 * Every check a restore makes, writing nothing but a temporary copy that is removed again:
 * for a nightly job that proves last night's backup can be restored. A PostgreSQL backup needs a
 * scratch database for its secrets and audit chain; without one only the archive is checked.
 */
export async function verifyBackup(
  file: string,
  input: MasterKeyInput,
  options: VerifyOptions = {},
): Promise<BackupCheck> {
  const backup = await openBackupFile(file);
  const { manifest } = backup;
  checkMigrationsKnown(manifest, file);
  const keys = await masterKeysFor(manifest, input);
  checkKeysAgainstManifest(manifest, keys);
  const work = await mkdtemp(join(tmpdir(), 'keyhold-verify-'));
  try {
    if (manifest.database.dialect === 'sqlite') {
      const checked = await unpackAndCheckSqlite(backup, keys, work);
      return { manifest, keySource: keys.source, ...checked };
    }
    if (options.scratchDatabaseUrl) {
      const checked = await restoreIntoScratchDatabase(
        backup,
        options.scratchDatabaseUrl,
        keys,
        work,
      );
      return { manifest, keySource: keys.source, ...checked };
    }
    await extractPayload(backup, join(work, 'payload'));
    await runTool(requirePgTool('pg_restore'), ['--list', join(work, 'payload')], process.env);
    return { manifest, keySource: keys.source, secretsOpened: undefined, auditEvents: undefined };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * pg_restore puts the tables back in the schema they were dumped from (usually `public`, which
 * every database has), so the checks run in a database of their own: created next to the scratch
 * database, and dropped afterwards whether the checks passed, failed or were interrupted by an
 * error.
 */
async function restoreIntoScratchDatabase(
  backup: BackupFile,
  scratchDatabaseUrl: string,
  keys: Keys,
  work: string,
) {
  const scratch = openDatabase({ dataDir: work, databaseUrl: scratchDatabaseUrl });
  const name = `keyhold_verify_${randomBytes(6).toString('hex')}`;
  try {
    try {
      await sql`create database ${sql.id(name)}`.execute(scratch.db);
    } catch (error) {
      throw new OperationError(
        operationMessages.scratchDatabaseUnusable(
          redactUrl(scratchDatabaseUrl),
          (error as Error).message,
        ),
        'environment',
      );
    }
    try {
      const url = new URL(scratchDatabaseUrl);
      url.pathname = `/${name}`;
      const stage = join(work, 'scratch');
      await mkdir(stage, { mode: 0o700 });
      return await restorePostgres(backup, url.toString(), keys, stage);
    } finally {
      // A plain drop waits a few seconds for the checks' connections to finish closing; only a
      // connection left behind by an interrupted check is cut off.
      await sql`drop database if exists ${sql.id(name)}`
        .execute(scratch.db)
        .catch(() => sql`drop database if exists ${sql.id(name)} with (force)`.execute(scratch.db));
    }
  } finally {
    await scratch.close();
  }
}

function requirePgTool(tool: string): string {
  const found = findOnPath(tool);
  if (!found) {
    throw new OperationError(operationMessages.pgToolMissing(tool));
  }
  return found;
}

export interface RestoreTarget {
  /** SQLite: the folder to restore into (must be empty or not exist); the master key goes here too. */
  dataDir: string;
  /** PostgreSQL: the database to restore into (no tables in the backup's schema yet). */
  databaseUrl?: string | undefined;
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true;
  return (await readdir(dir)).length === 0;
}

/**
 * Restores a backup into an empty folder (and, for PostgreSQL, an empty database), refusing with
 * a message that names the problem when anything is inconsistent. On SQLite every check runs on
 * a staged copy first, so a refused backup leaves the folder as it was.
 */
export async function restoreBackup(
  file: string,
  target: RestoreTarget,
  input: MasterKeyInput,
): Promise<BackupCheck> {
  const backup = await openBackupFile(file);
  const { manifest } = backup;
  checkMigrationsKnown(manifest, file);
  if (manifest.database.dialect === 'postgres' && !target.databaseUrl) {
    throw new OperationError(operationMessages.postgresRestoreNeedsUrl);
  }
  if (manifest.database.dialect === 'sqlite' && target.databaseUrl) {
    throw new OperationError(operationMessages.sqliteBackupNeedsDataDir);
  }
  if (!(await isEmptyOrMissing(target.dataDir))) {
    throw new OperationError(operationMessages.targetNotEmpty(target.dataDir));
  }
  const keys = await masterKeysFor(manifest, input);
  checkKeysAgainstManifest(manifest, keys);
  const createdDir = !existsSync(target.dataDir);
  await mkdir(target.dataDir, { recursive: true, mode: 0o700 });
  const stage = await mkdtemp(join(target.dataDir, '.restoring-'));
  try {
    let checked: { secretsOpened: number; auditEvents: number };
    if (manifest.database.dialect === 'sqlite') {
      checked = await unpackAndCheckSqlite(backup, keys, stage);
      await rename(join(stage, sqliteFileName), join(target.dataDir, sqliteFileName));
    } else {
      checked = await restorePostgres(backup, target.databaseUrl ?? '', keys, stage);
    }
    writeMasterKeyFile(join(target.dataDir, 'master.key'), keys.keys);
    return { manifest, keySource: keys.source, ...checked };
  } catch (error) {
    if (createdDir) await rm(target.dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function restorePostgres(backup: BackupFile, databaseUrl: string, keys: Keys, stage: string) {
  const schema = backup.manifest.database.schema ?? 'public';
  const url = new URL(databaseUrl);
  // The tables come back in the schema they were dumped from; the checks look there.
  url.searchParams.set('options', `-c search_path=${schema}`);
  const database = openDatabase({ dataDir: stage, databaseUrl: url.toString() });
  try {
    const { rows } = await sql<{ count: number | string }>`select count(*) as count
      from information_schema.tables where table_schema = ${schema}`.execute(database.db);
    if (Number(rows[0]?.count ?? 0) > 0) {
      throw new OperationError(
        operationMessages.postgresTargetNotEmpty(redactUrl(databaseUrl), schema),
      );
    }
    const payload = join(stage, 'payload');
    await extractPayload(backup, payload);
    const pgRestore = requirePgTool('pg_restore');
    // The schema may exist already, empty (`public` always does): create it here if not, and
    // leave its CREATE SCHEMA out of what pg_restore runs.
    await sql`create schema if not exists ${sql.id(schema)}`.execute(database.db);
    const { stdout: contents } = await runTool(pgRestore, ['--list', payload], process.env);
    const listFile = join(stage, 'restore.list');
    await writeFile(
      listFile,
      contents
        .split('\n')
        .filter((line) => !/^\d+; \d+ \d+ SCHEMA - /.test(line))
        .join('\n'),
    );
    const connection = postgresToolConnection(databaseUrl);
    await runTool(
      pgRestore,
      [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        `--use-list=${listFile}`,
        `--dbname=${connection.url}`,
        payload,
      ],
      connection.env,
    );
    return await checkRestoredDatabase(database, backup.manifest, keys);
  } finally {
    await database.close();
  }
}
