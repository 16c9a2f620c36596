import { CompiledQuery, type Compilable, type Insertable, type Kysely } from 'kysely';
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
  // Per dialect (a database and its transactions share one adapter), per shape.
  const compiledByAdapter = new WeakMap<object, Map<string | undefined, Compiled>>();
  return async (db, values, shape) => {
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
      cache.set(key, compiled);
    }
    const parameters = compiled.parameters.map((parameter) =>
      parameter instanceof Slot ? (values as Record<string, unknown>)[parameter.name] : parameter,
    );
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
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
