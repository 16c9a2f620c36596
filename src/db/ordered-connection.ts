import type { CompiledQuery } from 'kysely';
import pg from 'pg';

/**
 * One PostgreSQL connection in pipeline mode: statements are written to it as they come, without
 * waiting for the replies of those before, and PostgreSQL runs them one after another in that
 * order, each in its own transaction. A statement sent after another therefore sees its effects,
 * at the cost of one round trip each rather than one per statement waited for.
 *
 * The connection opens on first use and again after it is lost; statements in flight when it is
 * lost fail, and whether each took effect is unknown to the sender (as with any lost connection).
 */
export class OrderedConnection {
  readonly #connectionString: string;
  readonly #prepare: (client: pg.Client) => void;
  #client: Promise<pg.Client> | undefined;
  #closed = false;

  /** `prepare` sees the client before it connects (the database wraps its `query`). */
  constructor(connectionString: string, prepare: (client: pg.Client) => void) {
    this.#connectionString = connectionString;
    this.#prepare = prepare;
  }

  async send<Row>(query: CompiledQuery<Row>): Promise<Row[]> {
    const client = await this.#connected();
    const result = await client.query(query.sql, [...query.parameters]);
    return result.rows as Row[];
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    try {
      await (await client).end();
    } catch {
      // It never connected, or is already gone: nothing is left to close.
    }
  }

  #connected(): Promise<pg.Client> {
    if (this.#closed) return Promise.reject(new Error('the database connection is closed'));
    if (!this.#client) {
      const connecting: Promise<pg.Client> = this.#connect(() => {
        if (this.#client === connecting) this.#client = undefined;
      });
      this.#client = connecting;
    }
    return this.#client;
  }

  async #connect(forget: () => void): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#connectionString, pipeline: true });
    this.#prepare(client);
    // Lost (the server restarted, the network failed): the next statement connects anew.
    client.on('error', forget);
    client.on('end', forget);
    try {
      await client.connect();
    } catch (error) {
      forget();
      throw error;
    }
    return client;
  }
}
