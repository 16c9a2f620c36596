import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { signedInStateChannel, signedInStateNotifier } from './signed-in-state.js';

/** How the listening connection shows in pg_stat_activity, unless the URL names another. */
export const listenerApplicationName = 'keyhold signed-in state listener';

/** How long to wait before connecting again after the listening connection is lost. */
const reconnectDelayMs = 250;

/**
 * The longest a write waits for its announcement to have gone round (see `heardUpToNow`): a
 * stalled listening connection slows a sign-out down by at most this, and never stops it.
 */
const catchUpLimitMs = 2000;

/** Payloads this process sends itself to learn that the channel has caught up. */
const catchUpMark = 'caught-up:';

/**
 * Listens on PostgreSQL for announcements of writes to the signed-in state (see
 * signed-in-state.ts) on one connection of its own, so caches of it can tell whether anything
 * changed since they read, in this process or in any other sharing the database.
 *
 * Fails safe: while the connection is not listening (not yet connected, lost, or the schema
 * does not announce its writes yet), `stamp` is undefined and callers must read. Each new
 * connection starts a new generation, so nothing read before a gap is trusted after it:
 * announcements made during the gap were never heard.
 */
export class SignedInStateListener {
  readonly #connectionString: string;
  #client: pg.Client | undefined;
  #listening = false;
  #generation = 0;
  /** Announcements heard per table in the current generation. */
  readonly #changes = new Map<string, number>();
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;
  /**
   * The mark on its way round, if any: one at a time, so the listening connection never has
   * two statements queued, and every caller that comes while it is out waits for the next.
   */
  #markOut: { payload: string; finish: () => void } | undefined;
  /** Callers of `heardUpToNow` for the next mark. */
  #awaitingNextMark: (() => void)[] = [];
  /** Names this process's marks apart from every other's, on any machine. */
  readonly #markPrefix = `${catchUpMark}${randomBytes(6).toString('hex')}:`;
  #marksSent = 0;

  constructor(connectionString: string) {
    this.#connectionString = connectionString;
  }

  /** Starts listening (once; later calls do nothing). */
  start(): void {
    if (this.#client || this.#reconnect || this.#closed) return;
    void this.#connect();
  }

  /**
   * A value that differs from an earlier one whenever one of `tables` may have changed since;
   * undefined while changes cannot be heard.
   */
  stamp(tables: readonly string[]): string | undefined {
    this.start();
    if (!this.#listening) return undefined;
    const parts = [this.#generation];
    for (const table of tables) parts.push(this.#changes.get(table) ?? 0);
    return parts.join(':');
  }

  /**
   * Counts a write this process is about to make at once, without waiting for its announcement
   * to come back: the next request this process serves must already see it.
   */
  noteOwnWrite(table: string): void {
    if (table === '*') {
      this.#generation += 1;
      this.#changes.clear();
      return;
    }
    this.#changes.set(table, (this.#changes.get(table) ?? 0) + 1);
  }

  /**
   * Resolves once every announcement committed before the call has reached the listening
   * connections: PostgreSQL hands out notifications in commit order, so when a mark this process
   * sends itself comes back, all earlier ones have been delivered here, and have been signalled
   * to every other process's listening connection at the same moment. A process that waits for
   * this after committing a sign-out answers only when the other processes have been told.
   * Gives up quietly after `catchUpLimitMs` or when not listening: the write has happened
   * either way, and a process that cannot hear reads every request. Callers that come while a
   * mark is out share the next one: a burst of sign-ins sends two marks, not one each.
   */
  heardUpToNow(): Promise<void> {
    if (!this.#listening || !this.#client) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#awaitingNextMark.push(resolve);
      this.#sendNextMark();
    });
  }

  #sendNextMark(): void {
    const client = this.#client;
    if (this.#markOut || this.#awaitingNextMark.length === 0) return;
    const callers = this.#awaitingNextMark;
    this.#awaitingNextMark = [];
    if (!this.#listening || !client) {
      for (const resolve of callers) resolve();
      return;
    }
    this.#marksSent += 1;
    const payload = `${this.#markPrefix}${this.#marksSent}`;
    const finish = () => {
      if (this.#markOut?.payload !== payload) return;
      clearTimeout(limit);
      this.#markOut = undefined;
      for (const resolve of callers) resolve();
      this.#sendNextMark();
    };
    const limit = setTimeout(finish, catchUpLimitMs);
    limit.unref();
    this.#markOut = { payload, finish };
    client.query('select pg_notify($1, $2)', [signedInStateChannel, payload]).catch(finish);
  }

  /** Lets every caller of `heardUpToNow` go: no mark can come back any more. */
  #releaseMarkWaiters(): void {
    this.#markOut?.finish();
    const callers = this.#awaitingNextMark;
    this.#awaitingNextMark = [];
    for (const resolve of callers) resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    this.#releaseMarkWaiters();
    clearTimeout(this.#reconnect);
    this.#reconnect = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      // Tells operators what the one long-lived idle connection per process is for.
      fallback_application_name: listenerApplicationName,
      keepAlive: true,
    });
    this.#client = client;
    const lost = () => {
      if (this.#client !== client) return;
      this.#lose();
    };
    client.on('error', lost);
    client.on('end', lost);
    // Announcements name `schema.table` (older schemas: the table alone); those of another
    // schema in the same database are another Keyhold's.
    let schema: string | undefined;
    client.on('notification', (message) => {
      if (this.#client !== client || message.channel !== signedInStateChannel) return;
      const payload = message.payload ?? '*';
      if (payload.startsWith(catchUpMark)) {
        if (this.#markOut?.payload === payload) this.#markOut.finish();
        return;
      }
      const dot = payload.indexOf('.');
      if (dot === -1) {
        this.noteOwnWrite(payload);
      } else if (schema === undefined || payload.slice(0, dot) === schema) {
        this.noteOwnWrite(payload.slice(dot + 1));
      }
    });
    try {
      await client.connect();
      const { rows: current } = await client.query<{ schema: string | null }>(
        'select current_schema() as schema',
      );
      schema = current[0]?.schema ?? undefined;
      await client.query(`listen ${signedInStateChannel}`);
      // Listening before looking: a schema migrated meanwhile is announced from here on.
      const { rows } = await client.query<{ announced: boolean }>(
        'select to_regproc($1) is not null as announced',
        [signedInStateNotifier],
      );
      if (this.#client !== client) return;
      if (!rows[0]?.announced) {
        this.#lose();
        return;
      }
      this.#generation += 1;
      this.#changes.clear();
      this.#listening = true;
    } catch {
      lost();
    }
  }

  #lose(): void {
    this.#listening = false;
    this.#releaseMarkWaiters();
    const client = this.#client;
    this.#client = undefined;
    client?.removeAllListeners('notification');
    void client?.end().catch(() => undefined);
    if (this.#closed) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      void this.#connect();
    }, reconnectDelayMs);
    this.#reconnect.unref();
  }
}
