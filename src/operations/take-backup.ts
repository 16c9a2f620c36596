import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import type { Keyring } from '../crypto/master-key.js';
import { openDatabase, redactUrl, sqliteFileName, type Database } from '../db/database.js';
import { writeLockWaitMs } from '../db/locking-sqlite-dialect.js';
import { writeBackupFile, type BackupManifest } from './backup-file.js';
import { keyholdVersion, readDatabaseFacts, type DatabaseFacts } from './database-facts.js';
import { recordLastBackup } from './last-backup.js';
import { OperationError, operationMessages } from './messages.js';
import { masterKeyCheck, sealMasterKeys } from './sealed-master-key.js';

export interface TakeBackupOptions {
  database: Database;
  /** SQLite: the folder keyhold.db lives in. */
  dataDir: string;
  /** PostgreSQL: the URL the server uses (pg_dump connects with it). */
  databaseUrl?: string | undefined;
  keyring: Keyring;
  out: string;
  /** Seal the master key into the backup under this passphrase. */
  passphrase?: string | undefined;
  now: Date;
}

/**
 * Copies the database while servers keep writing, and wraps the copy with its manifest. The
 * copy and the manifest's facts come from the same moment: SQLite's online backup copies one
 * consistent snapshot; on PostgreSQL, pg_dump joins the snapshot the facts were read in.
 */
export async function takeBackup(options: TakeBackupOptions): Promise<BackupManifest> {
  await mkdir(dirname(options.out), { recursive: true, mode: 0o700 });
  // Beside the destination: no copy of the database lands on another disk (or in /tmp).
  const workDir = await mkdtemp(join(dirname(options.out), '.keyhold-backup-'));
  try {
    const payloadFile = join(workDir, 'payload');
    const { facts, schema } =
      options.database.dialect === 'sqlite'
        ? await snapshotSqlite(options.dataDir, workDir, payloadFile)
        : await dumpPostgres(options, payloadFile);
    const manifest = await writeBackupFile(
      options.out,
      {
        format: 'keyhold-backup/1',
        createdAt: options.now.toISOString(),
        keyholdVersion,
        database: {
          dialect: options.database.dialect,
          schemaVersion: facts.migrations.at(-1) ?? '',
          migrations: facts.migrations,
          ...(schema ? { schema } : {}),
        },
        counts: facts.counts,
        auditHead: facts.auditHead,
        payload: { kind: options.database.dialect === 'sqlite' ? 'sqlite' : 'pg_dump-custom' },
        masterKey: await masterKeySection(options.keyring, facts, options.passphrase),
      },
      payloadFile,
    );
    await recordLastBackup(options.dataDir, options.now);
    return manifest;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function masterKeySection(
  keyring: Keyring,
  facts: DatabaseFacts,
  passphrase: string | undefined,
): Promise<BackupManifest['masterKey']> {
  const keys = keyring.versions().map((version) => keyring.byVersion(version));
  const checks = Object.fromEntries(keys.map((key) => [String(key.version), masterKeyCheck(key)]));
  const section = { versionsInUse: facts.keyVersionsInUse, checks };
  if (passphrase === undefined) return { ...section, source: keyring.source };
  return { ...section, sealed: await sealMasterKeys(keys, passphrase) };
}

async function snapshotSqlite(dataDir: string, workDir: string, payloadFile: string) {
  const source = new SqliteDatabase(join(dataDir, sqliteFileName), { fileMustExist: true });
  const snapshot = join(workDir, sqliteFileName);
  try {
    source.pragma(`busy_timeout = ${writeLockWaitMs}`);
    // All pages in one step: one read transaction, so a commit meanwhile cannot restart the
    // copy over and over under a steady write load.
    await source.backup(snapshot, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  const copy = openDatabase({ dataDir: workDir });
  let facts: DatabaseFacts;
  try {
    facts = await readDatabaseFacts(copy.db, 'sqlite');
  } finally {
    await copy.close();
  }
  // One self-contained file: no -wal beside it.
  const single = new SqliteDatabase(snapshot);
  single.pragma('journal_mode = DELETE');
  single.close();
  await rename(snapshot, payloadFile);
  return { facts, schema: undefined };
}

/** The first directory on PATH that holds `command`, if any. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * libpq takes the password from PGPASSWORD: a password in the URL would show in `ps` while the
 * tool runs. `options` (a search_path, say) goes to PGOPTIONS, because libpq reads a `+` in a
 * URL literally where node-postgres reads a space.
 */
export function postgresToolConnection(databaseUrl: string): {
  url: string;
  env: NodeJS.ProcessEnv;
} {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  const options = url.searchParams.get('options');
  url.password = '';
  url.searchParams.delete('options');
  return {
    url: url.toString(),
    env: {
      ...process.env,
      ...(password ? { PGPASSWORD: password } : {}),
      ...(options ? { PGOPTIONS: options } : {}),
    },
  };
}

export function runTool(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout });
      else {
        const detail = stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${code}`;
        reject(new OperationError(operationMessages.pgToolFailed(command, detail)));
      }
    });
  });
}

async function dumpPostgres(
  { database, databaseUrl = '', out }: TakeBackupOptions,
  payloadFile: string,
) {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    database.db,
  );
  const schema = rows[0]?.schema ?? 'public';
  const pgDump = findOnPath('pg_dump');
  if (!pgDump) {
    throw new OperationError(
      operationMessages.pgDumpMissing(
        `pg_dump --format=custom --schema=${schema} --dbname='${redactUrl(databaseUrl)}' --file=${out}.dump`,
      ),
    );
  }
  const connection = postgresToolConnection(databaseUrl);
  // The facts and the dump share one snapshot: pg_dump joins the one this transaction exported.
  const facts = await database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const exported = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
      const read = await readDatabaseFacts(trx, 'postgres');
      await runTool(
        pgDump,
        [
          '--format=custom',
          `--schema=${schema}`,
          `--snapshot=${exported.rows[0]?.id ?? ''}`,
          '--no-owner',
          '--no-privileges',
          `--file=${payloadFile}`,
          `--dbname=${connection.url}`,
        ],
        connection.env,
      );
      return read;
    });
  return { facts, schema };
}
