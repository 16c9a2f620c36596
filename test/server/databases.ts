import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type DialectName } from '../../src/db/database.js';
import { requirement } from '../support/requirements.js';

/**
 * One suite, both databases: `for (const kind of databaseKinds) describe(..., { skip: kind.skip })`.
 * PostgreSQL needs KEYHOLD_TEST_DATABASE_URL; without it the PostgreSQL half skips with the
 * reason (and fails in CI, where KEYHOLD_TEST_REQUIRE_POSTGRES=1).
 */
export const databaseKinds: { name: DialectName; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  {
    name: 'postgres',
    skip: requirement(
      'postgres',
      process.env.KEYHOLD_TEST_DATABASE_URL ? undefined : 'KEYHOLD_TEST_DATABASE_URL is not set',
    ),
  },
];

export interface TestDatabase {
  kind: DialectName;
  /** A fresh temporary directory: the SQLite file (for SQLite) and the master key live here. */
  dataDir: string;
  /** For PostgreSQL: a URL whose search_path is a fresh schema, so files never share tables. */
  databaseUrl: string | undefined;
  /** The PostgreSQL schema name (for pg_dump), if any. */
  schema: string | undefined;
  open(): Database;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(kind: DialectName): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keyhold-test-'));
  if (kind === 'sqlite') {
    return {
      kind,
      dataDir,
      databaseUrl: undefined,
      schema: undefined,
      open: () => openDatabase({ dataDir }),
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const baseUrl = process.env.KEYHOLD_TEST_DATABASE_URL;
  if (!baseUrl) throw new Error('KEYHOLD_TEST_DATABASE_URL is not set');
  const schema = `keyhold_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(baseUrl, (client) => client.query(`create schema ${schema}`));
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  return {
    kind,
    dataDir,
    databaseUrl,
    schema,
    open: () => openDatabase({ dataDir, databaseUrl }),
    // The schema stays until the run ends: scripts/run-tests.js drops them all at once.
    cleanup: async () => {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdminClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
