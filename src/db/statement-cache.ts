import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Enough for every query the server runs; bulk inserts of varying sizes only cycle through. */
const defaultCapacity = 500;

/**
 * The SQLite connection as Kysely sees it, keeping prepared statements for reuse. Kysely asks for
 * a new statement on every query, and preparing costs as much as running a small indexed query
 * (a request that runs five of them spends more time compiling SQL than reading rows). Kysely
 * uses the single connection one query at a time, so sharing a statement is safe.
 */
export function cachingStatements(
  connection: SqliteConnection,
  capacity = defaultCapacity,
): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const statements = new Map<string, Statement>();
  return {
    prepare(sqlText: string): Statement {
      let statement = statements.get(sqlText);
      if (statement) {
        statements.delete(sqlText);
      } else {
        statement = connection.prepare(sqlText);
        if (statements.size >= capacity) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
      }
      statements.set(sqlText, statement);
      return statement;
    },
    close() {
      statements.clear();
      connection.close();
    },
  };
}
