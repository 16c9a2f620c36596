import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import { isTransientConflict } from './errors.js';

interface Waiting {
  query: CompiledQuery;
  resolve: (rows: unknown[]) => void;
  reject: (error: unknown) => void;
  /** Groups this statement was rolled back with. */
  rollbacks: number;
}

/** Times a statement is sent again after its group was rolled back before it fails. */
const maximumRollbacks = 3;

/** The most statements one commit carries. */
const maximumGroup = 128;

/** PostgreSQL's answer to a statement sent after an earlier one failed in its transaction. */
const inFailedTransaction = '25P02';

/**
 * One PostgreSQL connection that runs the statements sent to it in the order they were sent, a
 * statement sent after another seeing its effects. A statement sent while the connection is idle
 * goes at once, in its own transaction. Those sent while it is busy wait, and then go together in
 * one transaction, pipelined (written without waiting for each other's replies): one round trip
 * and one commit for all of them. One at a time, each would wait for its own flush of
 * PostgreSQL's WAL to disk, and a busy server could append no faster than the disk syncs.
 *
 * A statement that fails in a group rolls the group back: it hears its error, and the others,
 * of which nothing was kept, are sent again in the same order (a deadlock PostgreSQL breaks by
 * rolling the group back sends it all again).
 *
 * The connection opens on first use and again after it is lost; statements in flight when it is
 * lost fail, and whether each took effect is unknown to the sender (as with any lost connection).
 */
export class OrderedConnection {
  readonly #connectionString: string;
  readonly #prepare: (client: pg.Client) => void;
  #client: Promise<pg.Client> | undefined;
  #closed = false;
  readonly #waiting: Waiting[] = [];
  #sending = false;

  /** `prepare` sees the client before it connects (the database wraps its `query`). */
  constructor(connectionString: string, prepare: (client: pg.Client) => void) {
    this.#connectionString = connectionString;
    this.#prepare = prepare;
  }

  send<Row>(query: CompiledQuery<Row>): Promise<Row[]> {
    return new Promise<Row[]>((resolve, reject) => {
      this.#waiting.push({
        query,
        resolve: resolve as (rows: unknown[]) => void,
        reject,
        rollbacks: 0,
      });
      void this.#sendWaiting();
    });
  }

  async #sendWaiting(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#waiting.length > 0) {
        const group = this.#waiting.splice(0, maximumGroup);
        let client: pg.Client;
        try {
          client = await this.#connected();
        } catch (error) {
          for (const waiting of group) waiting.reject(error);
          continue;
        }
        const [alone] = group;
        if (alone && group.length === 1) await sendAlone(client, alone);
        else this.#waiting.unshift(...(await sendTogether(client, group)));
      }
    } finally {
      this.#sending = false;
    }
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

async function sendAlone(client: pg.Client, waiting: Waiting): Promise<void> {
  try {
    const result = await client.query(waiting.query.sql, [...waiting.query.parameters]);
    waiting.resolve(result.rows);
  } catch (error) {
    waiting.reject(error);
  }
}

/** Sends a group in one transaction; returns those to send again after a rollback. */
async function sendTogether(client: pg.Client, group: Waiting[]): Promise<Waiting[]> {
  const begin = client.query('begin');
  const statements = group.map(({ query }) => client.query(query.sql, [...query.parameters]));
  const commit = client.query('commit');
  const [, ended, ...outcomes] = await Promise.allSettled([begin, commit, ...statements]);
  if (ended.status === 'rejected') {
    // The connection was lost: whether the group was kept is unknown.
    for (const waiting of group) waiting.reject(ended.reason);
    return [];
  }
  // COMMIT answers ROLLBACK when a statement of the transaction failed.
  const committed = ended.value.command === 'COMMIT';
  const again: Waiting[] = [];
  group.forEach((waiting, index) => {
    const outcome = outcomes[index];
    if (committed && outcome?.status === 'fulfilled') {
      waiting.resolve(outcome.value.rows);
      return;
    }
    const error: unknown =
      outcome?.status === 'rejected'
        ? outcome.reason
        : new Error('the database rolled back a group of statements');
    // A statement that failed for itself hears why. One that only went down with the group, or
    // with a deadlock PostgreSQL broke by ending this transaction, is sent again: none of it was
    // kept.
    const forItself = outcome?.status === 'rejected' && !failedEarlier(error);
    if ((forItself && !isTransientConflict(error)) || ++waiting.rollbacks > maximumRollbacks) {
      waiting.reject(error);
    } else {
      again.push(waiting);
    }
  });
  return again;
}

function failedEarlier(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === inFailedTransaction;
}
