import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/** How long a transaction waits for another process to let go of the write lock. */
export const writeLockWaitMs = 5000;
/** The connection's own busy timeout, for single statements that write outside a transaction. */
const busyTimeoutMs = writeLockWaitMs;

/**
 * SQLite through better-sqlite3, with transactions that take the write lock as they begin
 * (BEGIN IMMEDIATE) rather than at their first write.
 *
 * With several processes on one database (server workers, an admin command), a transaction that
 * read first and then wants to write finds that another process committed in between, and SQLite
 * refuses it outright (SQLITE_BUSY_SNAPSHOT) rather than waiting. Taking the lock first never
 * meets that. While another process holds the lock, this one waits on timers instead of in
 * SQLite's busy handler, which would sleep on the event loop and stall every request meanwhile.
 *
 * Migrations run in one such transaction too (SQLite's schema changes are transactional, which
 * Kysely does not assume), so processes starting together on a new database take turns: the
 * first brings the schema up to date, the others find it done.
 */
export class LockingSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new LockingSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class LockingSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const giveUpAt = Date.now() + writeLockWaitMs;
    await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
    try {
      // Another process holds the lock for one commit, a millisecond or two: ask again soon.
      for (;;) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (error) {
          if (!isBusy(error) || Date.now() >= giveUpAt) throw error;
        }
        await sleep(1);
      }
    } finally {
      await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${busyTimeoutMs}`));
    }
  }

  /**
   * SQLite ends a transaction by itself when a statement or the commit fails on a full disk, an
   * I/O error or lack of memory. Kysely then still rolls back, and the "no transaction is
   * active" that answers would replace the error that says what went wrong (SQLITE_FULL).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('no transaction is active'))) {
        throw error;
      }
    }
  }
}

/** Whether SQLite refused for another connection's lock (SQLITE_BUSY and its variants). */
export function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('SQLITE_BUSY')
  );
}
