import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { tableWrittenBy } from './table-changes.js';

/** Enough for every query the server runs; bulk inserts of varying sizes only cycle through. */
const defaultCapacity = 500;

/**
 * The SQLite connection as Kysely sees it, keeping prepared statements for reuse. Kysely asks for
 * a new statement on every query, and preparing costs as much as running a small indexed query
 * (a request that runs five of them spends more time compiling SQL than reading rows). Kysely
 * uses the single connection one query at a time, so sharing a statement is safe.
 *
 * `onWrite` hears of each writing statement just before it runs, with the table it writes.
 */
export function cachingStatements(
  connection: SqliteConnection,
  onWrite: (table: string) => void,
  capacity = defaultCapacity,
): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sqlText: string): SqliteStatement {
      let statement = statements.get(sqlText);
      if (statement) {
        statements.delete(sqlText);
      } else {
        statement = watchingWrites(connection.prepare(sqlText), tableWrittenBy(sqlText), onWrite);
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

function watchingWrites(
  statement: Statement,
  table: string | undefined,
  onWrite: (table: string) => void,
): SqliteStatement {
  if (table === undefined) return statement;
  return {
    reader: statement.reader,
    all(parameters) {
      onWrite(table);
      return statement.all(parameters);
    },
    run(parameters) {
      onWrite(table);
      return statement.run(parameters);
    },
    iterate(parameters) {
      onWrite(table);
      return statement.iterate(parameters);
    },
  };
}
