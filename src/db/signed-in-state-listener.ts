import pg from 'pg';
import { signedInStateChannel, signedInStateNotifier } from './signed-in-state.js';

/** How the listening connection shows in pg_stat_activity, unless the URL names another. */
export const listenerApplicationName = 'keyhold signed-in state listener';

/** How long to wait before connecting again after the listening connection is lost. */
const reconnectDelayMs = 250;

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

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
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
