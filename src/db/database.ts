import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, type CompiledQuery } from 'kysely';
import { OwnSchemaPostgresDialect } from './own-schema-introspector.js';
import pg from 'pg';
import {
  BackgroundCheckpoints,
  emptyWal,
  fallbackCheckpointPages,
} from './background-checkpoints.js';
import { prepareDataDir } from './data-dir.js';
import { GroupCommit, type TransactionWork } from './group-commit.js';
import { isBusy, LockingSqliteDialect, writeLockWaitMs } from './locking-sqlite-dialect.js';
import type { DatabaseSchema } from './schema.js';
import { cachingStatements } from './statement-cache.js';
import { announcedTables } from './signed-in-state.js';
import { SignedInStateListener } from './signed-in-state-listener.js';
import { OrderedConnection, type Chained } from './ordered-connection.js';
import { PipelinedConnections } from './pipelined-connections.js';
import { readDirectlyWith, runPreparedQueriesOn, statementName } from './prepared-query.js';
import { TableChanges, tablesWrittenBy } from './table-changes.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  /** Where the data lives, for messages: a file path or the URL without its password. */
  location: string;
  /**
   * Runs `work` in a transaction: all of it is kept or none, and the promise resolves once the
   * change is durable. Services write through this rather than `db.transaction()`: on SQLite,
   * transactions that arrive together share one commit (see group-commit.ts).
   */
  transaction: <T>(work: TransactionWork<T>) => Promise<T>;
  /**
   * A value that changes whenever one of `tables` may have changed (SQLite: writes by this
   * process at once, commits by others from the next turn of the event loop), for caches of
   * small, hot tables. On PostgreSQL only the signed-in state tables (signed-in-state.ts) are
   * followed, through announcements other processes' commits send (LISTEN/NOTIFY). Undefined
   * while changes cannot be seen without reading (the listening connection is down): do not
   * use the cache then.
   */
  changeStamp: (tables: readonly string[]) => string | undefined;
  /**
   * Leaves no bytes of rows deleted from `tables` in the database's own files (call it after
   * the delete has committed). SQLite overwrites deleted content as it goes (`secure_delete`),
   * so this only empties the WAL, which still holds the pages as they were; PostgreSQL keeps
   * deleted rows in the table's file until it is rewritten (`VACUUM FULL`, which locks the table
   * while it runs). Backups and WAL archives made before keep what they hold.
   */
  eraseDeletedRows: (tables: readonly string[]) => Promise<void>;
  /**
   * SQLite: checkpoints the WAL on a thread of its own from now on (the server's jobs start it;
   * short-lived commands leave it to SQLite), telling `onProblem` of any problem it meets.
   * Returns what stops it. PostgreSQL: nothing to do.
   */
  checkpointInBackground: (onProblem: (problem: string) => void) => () => Promise<void>;
  /**
   * Sends one statement on a connection of its own that runs what it is sent in the order it
   * was sent, each statement its own transaction, without waiting for one reply before sending
   * the next (PostgreSQL pipelining). For appends that must see every earlier append of this
   * process, such as the audit chain's, without a round trip between them.
   */
  sendInOrder: <Row>(query: CompiledQuery<Row>) => Promise<Row[]>;
  /**
   * PostgreSQL: sends a statement of a chain in order with the others (see OrderedConnection and
   * Chain): alone it is built on where this process's last one left the chain; in a group, after
   * the group locked the chain and read where it ends. SQLite appends to its chain in
   * transactions instead, one writer at a time.
   */
  appendInOrder: <Row, Link>(statement: Chained<Link>) => Promise<Row[]>;
  /**
   * Calls `listener` with every statement sent to PostgreSQL (transaction control included)
   * until the returned function is called: tests pin how many round trips a request costs.
   * SQLite runs in the process and sends nothing.
   */
  watchStatements: (listener: (text: string) => void) => () => void;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
}

export const sqliteFileName = 'keyhold.db';
/**
 * Connections in a server process's PostgreSQL pool for transactions and other statements:
 * enough to keep 2 cores busy while some requests wait on a commit, few enough that several
 * processes stay under PostgreSQL's default of 100 connections (see docs/operations.md).
 */
export const postgresPoolSize = 10;
/**
 * Pipelined connections of a server process for the hot prepared queries (see
 * PipelinedConnections): each carries many statements at once, so a few keep PostgreSQL's
 * cores busy, and a slow statement holds up only those behind it on its own connection.
 */
const pipelinedConnections = 3;
/** SQLite's largest memory map by default: room for a library of several million keys. */
const sqliteMmapBytes = 0x7fff0000;
/** SQLite's own default: where a connection checkpoints when no thread does it for it. */
const sqliteAutocheckpointPages = 1000;

/**
 * SQLite in `<data-dir>/keyhold.db` unless a PostgreSQL URL is given. SQLite runs with WAL (readers
 * never wait for the writer), `synchronous=FULL` (a confirmed write survives power loss, which
 * matters more than speed for the only copy of a recovery key) and foreign keys enforced.
 */
export function openDatabase({ dataDir, databaseUrl }: DatabaseOptions): Database {
  if (databaseUrl) return openPostgres(databaseUrl);
  prepareDataDir(dataDir);
  const file = join(dataDir, sqliteFileName);
  // Created private (SQLite gives its -wal and -shm files the same mode); an existing file keeps
  // whatever mode its operator chose.
  closeSync(openSync(file, 'a', 0o600));
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros rather than left in free space, where a purged
  // recovery key's sealed bytes could be carved out of the file.
  sqlite.pragma('secure_delete = ON');
  // Reads come straight from the file's pages as the kernel caches them rather than through a
  // read() copy each; the mapped pages are file-backed (the kernel drops and re-reads them as it
  // needs), so they do not add to the server's own memory. Writes still go through the WAL.
  sqlite.pragma(`mmap_size = ${sqliteMmapBytes}`);
  // Writers that commit together each run in a savepoint (group-commit.ts), and SQLite copies the
  // pages a savepoint changes to a sub-journal so it can roll back alone. Past 64 KiB a batch's
  // sub-journal spills to a temporary file, a write() per page; in memory it costs a batch at most
  // a few MB for as long as it runs. Crash safety does not depend on it (the WAL provides that).
  sqlite.pragma('temp_store = MEMORY');
  // Another process (a second server worker, an admin command) may hold the write lock briefly.
  sqlite.pragma(`busy_timeout = ${writeLockWaitMs}`);
  let checkpoints: BackgroundCheckpoints | undefined;
  const checkpointInBackground = (onProblem: (problem: string) => void) => {
    if (!checkpoints) {
      sqlite.pragma(`wal_autocheckpoint = ${fallbackCheckpointPages}`);
      checkpoints = new BackgroundCheckpoints(file, onProblem);
    }
    const started = checkpoints;
    return async () => {
      if (checkpoints !== started) return;
      checkpoints = undefined;
      await started.stop();
      sqlite.pragma(`wal_autocheckpoint = ${sqliteAutocheckpointPages}`);
    };
  };
  const changes = new TableChanges();
  const statements = cachingStatements(sqlite, (table) => {
    changes.noteWrite(table);
  });
  const db = new Kysely<DatabaseSchema>({
    dialect: new LockingSqliteDialect({ database: statements }),
  });
  // Outside a transaction a read sees only committed rows whenever it runs, so it need not wait
  // its turn for the connection. One that finds the database busy (another process recovering
  // the WAL) takes the usual way, which waits.
  readDirectlyWith(db, (text, parameters) => {
    if (sqlite.inTransaction) return undefined;
    try {
      return statements.rowsOfRead(text, parameters);
    } catch (error) {
      if (isBusy(error)) return undefined;
      throw error;
    }
  });
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  // Read once per turn of the event loop: the requests handled in one turn arrived together, and
  // each may as well have come before a commit elsewhere that lands meanwhile.
  let otherCommits: number | undefined;
  const otherProcessesVersion = (): number => {
    if (otherCommits === undefined) {
      otherCommits = dataVersion.get() as number;
      setImmediate(() => {
        otherCommits = undefined;
      });
    }
    return otherCommits;
  };
  const groupCommit = new GroupCommit(db);
  const emptyWalNow = (): Promise<void> => {
    if (checkpoints) return checkpoints.emptyWal();
    emptyWal(sqlite);
    return Promise.resolve();
  };
  return {
    db,
    dialect: 'sqlite',
    location: file,
    transaction: (work) => groupCommit.run(work),
    changeStamp: (tables) => changes.stamp(tables, otherProcessesVersion()),
    eraseDeletedRows: emptyWalNow,
    checkpointInBackground,
    // One connection, used by one statement at a time: every statement runs in order.
    sendInOrder: async <Row>(query: CompiledQuery<Row>) => (await db.executeQuery(query)).rows,
    appendInOrder: () => Promise.reject(new Error('SQLite appends to a chain in transactions')),
    watchStatements: () => () => undefined,
    close: async () => {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
}

function openPostgres(databaseUrl: string): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: postgresPoolSize });
  const listener = new SignedInStateListener(databaseUrl);
  const statementWatchers = new Set<(text: string) => void>();
  // This process's own writes are counted when they are sent and again once they are committed,
  // not when their announcement comes back: a request this process serves after a sign-out has
  // answered never sees the session, and one that read in between does not keep what it read.
  const watchClient = (client: pg.Client) => {
    const send = client.query.bind(client) as (...args: unknown[]) => unknown;
    const writtenInTransaction = new Set<string>();
    let inTransaction = false;
    const noteAndSend = (...args: unknown[]): unknown => {
      const [query, values] = args;
      const text =
        typeof query === 'string' ? query : (query as { text?: unknown } | undefined)?.text;
      if (typeof text !== 'string') return send(...args);
      for (const watcher of statementWatchers) watcher(text);
      const tables = tablesWrittenBy(text);
      for (const table of tables) {
        listener.noteOwnWrite(table);
        writtenInTransaction.add(table);
      }
      if (/^\s*(begin|start\s+transaction)\b/i.test(text)) inTransaction = true;
      const ending = /^\s*(commit|rollback)\b/i.exec(text)?.[1]?.toLowerCase();
      const name = typeof query === 'string' ? statementName(text) : undefined;
      const sent = name === undefined ? send(...args) : send({ name, text, values });
      if (!(sent instanceof Promise) || (!ending && (inTransaction || tables.length === 0))) {
        return sent;
      }
      const announced =
        ending !== 'rollback' &&
        [...writtenInTransaction].some((table) => announcedTables.includes(table));
      const committed = () => {
        for (const written of writtenInTransaction) listener.noteOwnWrite(written);
        writtenInTransaction.clear();
        inTransaction = false;
      };
      if (!announced) {
        void sent.then(committed, committed);
        return sent;
      }
      // A sign-out (or any change to the signed-in state) answers once the other processes
      // have been told, so the person's next request finds it ended on whichever one it reaches.
      return sent.then(
        async (result: unknown) => {
          committed();
          await listener.heardUpToNow();
          return result;
        },
        (error: unknown) => {
          committed();
          throw error;
        },
      );
    };
    client.query = noteAndSend as typeof client.query;
  };
  pool.on('connect', watchClient);
  const prepared = new PipelinedConnections(
    withSessionSettings(databaseUrl, preparedStatementSettings),
    pipelinedConnections,
    watchClient,
  );
  const ordered = new OrderedConnection(databaseUrl, watchClient);
  const db = new Kysely<DatabaseSchema>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  // Only reads go down the pipelines: they never wait for a row lock, so none holds up the
  // statements behind it while a transaction finishes (which may itself be waiting for one).
  const writes = new Map<string, boolean>();
  runPreparedQueriesOn(db, (query) => {
    let writing = writes.get(query.sql);
    if (writing === undefined) {
      writing = tablesWrittenBy(query.sql).length > 0;
      writes.set(query.sql, writing);
    }
    return writing ? db.executeQuery(query) : prepared.query(query);
  });
  return {
    db,
    dialect: 'postgres',
    location: redactUrl(databaseUrl),
    // Concurrent transactions run side by side on the pool's connections, and PostgreSQL
    // groups their commits itself.
    transaction: (work) => db.transaction().execute(work),
    changeStamp: (tables) =>
      tables.every((table) => announcedTables.includes(table)) ? listener.stamp(tables) : undefined,
    eraseDeletedRows: async (tables) => {
      // VACUUM cannot run inside a transaction; each statement runs on its own here.
      for (const table of tables) await sql`vacuum (full) ${sql.table(table)}`.execute(db);
    },
    checkpointInBackground: () => () => Promise.resolve(),
    sendInOrder: (query) => ordered.send(query),
    appendInOrder: (statement) => ordered.append(statement),
    watchStatements: (watcher) => {
      statementWatchers.add(watcher);
      return () => statementWatchers.delete(watcher);
    },
    close: async () => {
      await listener.close();
      await ordered.close();
      await prepared.close();
      await db.destroy();
    },
  };
}

/**
 * Session settings of the connections that run the hot prepared queries (prepared-query.ts)
 * outside transactions. PostgreSQL would plan such a named statement again on every run: a
 * generic plan for a prefix range costs far more *by its estimates* than one made for the values
 * at hand, though it runs as fast. Planning a search costs about 1 ms of PostgreSQL's CPU and
 * running it 0.1 ms, so these statements keep one generic plan per connection, and the settings
 * that generic plans need to stay on the indexes go with it: no JIT compilation or parallel
 * workers (worth it only for long scans, which these statements never are), and random reads
 * priced as the cached reads they are, so a range that matches many rows still walks the
 * indexes. Every other statement is planned as the server's settings say.
 */
export const preparedStatementSettings = {
  plan_cache_mode: 'force_generic_plan',
  jit: 'off',
  max_parallel_workers_per_gather: '0',
  random_page_cost: '1.1',
};

/** The URL with these settings added to the session options it names, if any. */
function withSessionSettings(databaseUrl: string, settings: Record<string, string>): string {
  const url = new URL(databaseUrl);
  const options = [url.searchParams.get('options') ?? ''];
  for (const [name, value] of Object.entries(settings)) options.push(`-c ${name}=${value}`);
  url.searchParams.set('options', options.join(' ').trim());
  return url.toString();
}

export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
