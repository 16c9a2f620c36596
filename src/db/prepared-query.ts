import {
  CompiledQuery,
  PostgresAdapter,
  type Compilable,
  type Insertable,
  type Kysely,
} from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** Stands in for a value while the query is compiled; its name says where the value goes. */
class Slot {
  constructor(readonly name: string) {}
}

interface Compiled {
  sql: string;
  /** Per parameter: the name of the value that fills it, or a constant from the query itself. */
  parameters: readonly unknown[];
}

/**
 * A query for the busiest requests, built and compiled once and then run with each request's
 * values. Building a Kysely query and compiling it to SQL takes longer than SQLite takes to run a
 * small indexed query, and a signed-in search runs several of them.
 *
 * `build` receives stand-ins for `values` (use them only as values in the query, never in
 * JavaScript conditions) and the real `shape`: anything that changes the query's text, such as
 * which owner column to filter on. Each distinct shape is compiled once.
 */
export function preparedQuery<Values extends object, Shape, Row>(
  build: (db: Db, values: Values, shape: Shape) => Compilable<Row>,
): (db: Db, values: Values, shape: Shape) => Promise<Row[]> {
  const compiled = compiledStatement(build);
  return async (db, values, shape) => {
    const { sql, parameters } = compiled(db, values, shape);
    if (!db.isTransaction) {
      const rows = directReaders.get(db)?.(sql, parameters);
      if (rows) return rows as Row[];
    }
    const runner = db.isTransaction ? db : (preparedStatementRunners.get(db) ?? db);
    const result = await runner.executeQuery<Row>(CompiledQuery.raw(sql, parameters));
    return result.rows;
  };
}

/**
 * Runs a read at once and returns its rows, or returns undefined when it cannot (the statement
 * writes, or the connection is inside a transaction) and the query takes the usual way.
 */
export type DirectReader = (sql: string, parameters: readonly unknown[]) => unknown[] | undefined;

/** Per database: what runs its prepared reads outside transactions directly (readDirectlyWith). */
const directReaders = new WeakMap<Db, DirectReader>();

/**
 * Lets `db`'s prepared reads outside transactions skip Kysely's executor: on SQLite the
 * statement runs synchronously anyway, and the executor's connection hand-over and result
 * handling cost several times what SQLite takes for an indexed read.
 */
export function readDirectlyWith(db: Db, reader: DirectReader): void {
  directReaders.set(db, reader);
}

/** Per database: where its prepared queries outside transactions run (see runPreparedQueriesOn). */
const preparedStatementRunners = new WeakMap<Db, Db>();

/**
 * Runs `db`'s prepared queries that are not part of a transaction on `runner` instead: on
 * PostgreSQL, connections set up to plan each named statement once for all values.
 */
export function runPreparedQueriesOn(db: Db, runner: Db): void {
  preparedStatementRunners.set(db, runner);
}

/**
 * Like preparedQuery, but hands back the compiled statement with the request's values instead
 * of running it, for a caller that sends it its own way (Database.sendInOrder).
 */
export function preparedStatement<Values extends object, Shape, Row>(
  build: (db: Db, values: Values, shape: Shape) => Compilable<Row>,
): (db: Db, values: Values, shape: Shape) => CompiledQuery<Row> {
  const compiled = compiledStatement(build);
  return (db, values, shape) => {
    const { sql, parameters } = compiled(db, values, shape);
    return CompiledQuery.raw(sql, parameters);
  };
}

/** A prepared query's text for the shape, with the values in the order the text takes them. */
function compiledStatement<Values extends object, Shape, Row>(
  build: (db: Db, values: Values, shape: Shape) => Compilable<Row>,
): (db: Db, values: Values, shape: Shape) => { sql: string; parameters: unknown[] } {
  // Per dialect (a database and its transactions share one adapter), per shape.
  const compiledByAdapter = new WeakMap<object, Map<string | undefined, Compiled>>();
  return (db, values, shape) => {
    const adapter = db.getExecutor().adapter;
    let cache = compiledByAdapter.get(adapter);
    if (!cache) {
      cache = new Map();
      compiledByAdapter.set(adapter, cache);
    }
    // undefined (a query with one shape) stringifies to undefined, which a Map takes as a key.
    const key = JSON.stringify(shape) as string | undefined;
    let compiled = cache.get(key);
    if (!compiled) {
      const slots = new Proxy({} as Values, {
        get: (_target, name) => new Slot(String(name)),
      });
      const query = build(db, slots, shape).compile();
      compiled = { sql: query.sql, parameters: query.parameters };
      nameStatement(query.sql);
      cache.set(key, compiled);
    }
    const parameters = compiled.parameters.map((parameter) =>
      parameter instanceof Slot ? (values as Record<string, unknown>)[parameter.name] : parameter,
    );
    return { sql: compiled.sql, parameters };
  };
}

const statementNames = new Map<string, string>();

/**
 * Gives a prepared query's text a name PostgreSQL can keep it under: each connection parses and
 * plans a named statement once and then only binds values to it. Only texts from prepared
 * queries are named, so the statements a connection keeps stay few.
 */
function nameStatement(sqlText: string): void {
  if (!statementNames.has(sqlText))
    statementNames.set(sqlText, `keyhold_${statementNames.size + 1}`);
}

/** The name of a prepared query's text, or undefined for any other statement. */
export function statementName(sqlText: string): string | undefined {
  return statementNames.get(sqlText);
}

type TableName = keyof DatabaseSchema;

const rowInserts = new Map<
  TableName,
  (db: Db, values: object, columns: readonly string[]) => Promise<unknown[]>
>();

/**
 * Inserts one whole row through a prepared query (one per table and set of columns): for the
 * rows every added key and every audit event write.
 */
export async function insertRow<Table extends TableName>(
  db: Db,
  table: Table,
  row: Insertable<DatabaseSchema[Table]>,
): Promise<void> {
  let insert = rowInserts.get(table);
  if (!insert) {
    insert = preparedQuery((builder, values: object, columns: readonly string[]) =>
      builder
        .insertInto(table)
        .values(
          Object.fromEntries(
            columns.map((column) => [column, (values as Record<string, unknown>)[column]]),
          ) as Insertable<DatabaseSchema[Table]>,
        ),
    );
    rowInserts.set(table, insert);
  }
  await insert(db, row, Object.keys(row));
}

/** Rows one multi-row insert writes at most: a few hundred, under both databases' limits. */
const rowsPerInsert = 500;
/** Values one statement may bind: SQLite allows 32,766, PostgreSQL 65,535. */
const valuesPerStatement = 30_000;

/** The texts of multi-row inserts, per dialect, table, columns and row count. */
const insertTexts = new Map<string, string>();

function multiRowInsertText(
  postgres: boolean,
  table: string,
  columns: readonly string[],
  rows: number,
  wholeChunk: boolean,
): string {
  const key = `${postgres ? 'pg' : 'sqlite'} ${table} ${columns.join(',')} ${rows}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    let next = 0;
    const placeholder = postgres ? () => `$${++next}` : () => '?';
    const tuples = Array.from(
      { length: rows },
      () => `(${columns.map(() => placeholder()).join(', ')})`,
    );
    text =
      `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) ` +
      `values ${tuples.join(', ')}`;
    insertTexts.set(key, text);
    // A whole chunk's text recurs on every large write: PostgreSQL keeps it parsed. Shorter
    // remainders vary and stay unnamed.
    if (wholeChunk) nameStatement(text);
  }
  return text;
}

/**
 * Inserts many rows of one table, several hundred to a statement (an import writes tens of
 * thousands of rows per table). The statement for a full chunk is built once per table and
 * columns and stays prepared, so each chunk only binds its values.
 */
export async function insertRows<Table extends TableName, Row extends object>(
  db: Db,
  table: Table,
  columns: readonly (keyof Row & keyof DatabaseSchema[Table] & string)[],
  rows: readonly Row[],
): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const chunk = Math.max(
    1,
    Math.min(rowsPerInsert, Math.floor(valuesPerStatement / columns.length)),
  );
  for (let first = 0; first < rows.length; first += chunk) {
    const count = Math.min(chunk, rows.length - first);
    const values: unknown[] = new Array<unknown>(count * columns.length);
    let index = 0;
    for (let row = first; row < first + count; row++) {
      const fields = rows[row] as Record<string, unknown>;
      for (const column of columns) values[index++] = fields[column];
    }
    await db.executeQuery(
      CompiledQuery.raw(
        multiRowInsertText(postgres, table, columns, count, count === chunk),
        values,
      ),
    );
  }
}

/**
 * Several rows' values as the one flat set of values a prepared statement takes, each column
 * named `<prefix><column>`; `prefixedSlots` gives a statement's build the matching stand-ins.
 */
export function prefixed(prefix: string, row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [prefix + column, value]));
}

export function prefixedSlots<Row>(
  values: object,
  prefix: string,
  columns: readonly (keyof Row & string)[],
): Row {
  return Object.fromEntries(
    columns.map((column) => [column, (values as Record<string, unknown>)[prefix + column]]),
  ) as Row;
}
