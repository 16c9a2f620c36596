import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { connectPipelined } from './ordered-connection.js';

interface Slot {
  client: Promise<pg.Client> | undefined;
  /** Statements written to this connection and not yet answered. */
  unanswered: number;
}

/**
 * A few PostgreSQL connections that each carry many statements at once: a statement is written
 * to the connection with the fewest unanswered ones without waiting for the replies before it
 * (pipelining), and runs as its own transaction. For the hot prepared queries outside
 * transactions: nothing is taken from a pool and handed back per statement, and PostgreSQL reads
 * the statements that arrived together in one go and answers them in one write, where a pool
 * keeps a connection (and a server process) per statement in flight, each woken for one. On a
 * busy server that is less CPU per statement on both sides.
 *
 * A statement waits for those written before it on its connection, so these connections are
 * for short statements only. A connection opens on first use and again after it is lost;
 * statements in flight when it is lost fail.
 */
export class PipelinedConnections {
  readonly #connectionString: string;
  readonly #prepare: (client: pg.Client) => void;
  readonly #slots: Slot[];
  #closed = false;

  /** `prepare` sees each client before it connects (the database wraps its `query`). */
  constructor(connectionString: string, connections: number, prepare: (client: pg.Client) => void) {
    this.#connectionString = connectionString;
    this.#prepare = prepare;
    this.#slots = Array.from({ length: connections }, () => ({
      client: undefined,
      unanswered: 0,
    }));
  }

  async query<Row>(query: CompiledQuery<Row>): Promise<{ rows: Row[] }> {
    const slot = this.#slots.reduce((least, each) =>
      each.unanswered < least.unanswered ? each : least,
    );
    slot.unanswered += 1;
    try {
      const client = await this.#connected(slot);
      const result = await client.query(query.sql, query.parameters as unknown[]);
      return { rows: result.rows as Row[] };
    } finally {
      slot.unanswered -= 1;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const client = slot.client;
        slot.client = undefined;
        try {
          await (await client)?.end();
        } catch {
          // It never connected, or is already gone: nothing is left to close.
        }
      }),
    );
  }

  #connected(slot: Slot): Promise<pg.Client> {
    if (this.#closed) return Promise.reject(new Error('the database connection is closed'));
    if (!slot.client) {
      const connecting: Promise<pg.Client> = connectPipelined(
        this.#connectionString,
        this.#prepare,
        () => {
          if (slot.client === connecting) slot.client = undefined;
        },
      );
      slot.client = connecting;
    }
    return slot.client;
  }
}
