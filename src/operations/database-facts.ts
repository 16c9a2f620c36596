import { createRequire } from 'node:module';
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/database.js';

/** What a backup's manifest says about the database, read in the same snapshot as the copy. */
export interface DatabaseFacts {
  migrations: string[];
  counts: Record<string, number>;
  auditHead: { seq: number; hash: string };
  /** The master key versions that sealed secrets use. */
  keyVersionsInUse: number[];
}

export const keyholdVersion = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

// Facts are read from whatever schema a backup holds, not only today's: untyped on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type AnyDatabase = Kysely<any>;

async function tableNames(db: AnyDatabase, dialect: DialectName): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite\\_%' escape '\\'
          and name not like 'kysely\\_%' escape '\\' order by name`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'
          and table_name not like 'kysely\\_%' escape '\\' order by table_name`.execute(db);
  return rows.map((row) => row.name);
}

export async function appliedMigrations(db: AnyDatabase): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((row) => row.name);
}

export async function readDatabaseFacts(
  db: AnyDatabase,
  dialect: DialectName,
): Promise<DatabaseFacts> {
  const counts: Record<string, number> = {};
  for (const table of await tableNames(db, dialect)) {
    const { rows } = await sql<{
      count: number | string;
    }>`select count(*) as count from ${sql.table(table)}`.execute(db);
    counts[table] = Number(rows[0]?.count ?? 0);
  }
  const { rows: head } = await sql<{ last_seq: number | string; last_hash: string }>`
    select last_seq, last_hash from audit_head where id = 1`.execute(db);
  const { rows: versions } = await sql<{ key_version: number | string }>`
    select distinct key_version from sealed_secrets order by key_version`.execute(db);
  return {
    migrations: await appliedMigrations(db),
    counts,
    auditHead: { seq: Number(head[0]?.last_seq ?? 0), hash: head[0]?.last_hash ?? '' },
    keyVersionsInUse: versions.map((row) => Number(row.key_version)),
  };
}
