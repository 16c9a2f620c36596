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
): SqliteDatabase & {
  rowsOfRead: (sqlText: string, parameters: readonly unknown[]) => unknown[] | undefined;
} {
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
    /**
     * The rows of a statement that only reads, run on the cached statement; undefined, without
     * running it, for one that writes (its writes are to be noted and ordered as usual).
     */
    rowsOfRead(sqlText, parameters) {
      const statement = this.prepare(sqlText);
      if (!statement.reader || tableWrittenBy(sqlText) !== undefined) return undefined;
      return rowObjects(statement as Statement, parameters);
    },
    close() {
      statements.clear();
      connection.close();
    },
  };
}

/** Each statement's column names, read once (better-sqlite3 describes them anew on each call). */
const columnNames = new WeakMap<Statement, readonly string[]>();

/**
 * A reading statement's rows as objects keyed by column name, as `all()` gives them. better-sqlite3
 * builds each object property by property from C++, which for a page of 50 keys costs more than
 * SQLite's own work; building them here from each row's values takes about a third less.
 */
function rowObjects(statement: Statement, parameters: readonly unknown[]): unknown[] {
  let names = columnNames.get(statement);
  if (!names) {
    names = statement.columns().map((column) => column.name);
    columnNames.set(statement, names);
  }
  let rows: unknown[][];
  statement.raw(true);
  try {
    rows = statement.all(parameters) as unknown[][];
  } finally {
    statement.raw(false);
  }
  const objects = new Array<Record<string, unknown>>(rows.length);
  for (let index = 0; index < rows.length; index++) {
    const values = rows[index] ?? [];
    const row: Record<string, unknown> = {};
    for (let column = 0; column < names.length; column++) row[names[column] ?? ''] = values[column];
    objects[index] = row;
  }
  return objects;
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
