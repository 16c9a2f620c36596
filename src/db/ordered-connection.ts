import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import { isTransientConflict } from './errors.js';

/**
 * Statements that each build on what the one before left, such as the audit chain's appends:
 * every group that carries them starts by locking and reading what the first builds on.
 */
export interface Chain<Link> {
  /** Locks what the statements build on until the group commits, and answers with it. */
  lock: CompiledQuery;
  linkOf(rows: readonly unknown[]): Link;
}

/** A statement of a chain, built once the link it follows is known. */
export interface Chained<Link> {
  chain: Chain<Link>;
  /** The statement that follows `after`, and the link it leaves for the next. */
  build(after: Link): { query: CompiledQuery; next: Link };
  /** Whether the statement's rows say it followed the link it was built on. */
  landed(rows: readonly unknown[], next: Link): boolean;
}

interface Waiting {
  query: CompiledQuery | Chained<unknown>;
  resolve: (rows: unknown[]) => void;
  reject: (error: unknown) => void;
  /** Times PostgreSQL ended this statement's group to break a deadlock on it. */
  rollbacks: number;
}

/** Times a statement is sent again after a deadlock on it before it fails. */
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
 * A statement of a chain (see Chain) alone is built on the link this connection's last one left
 * and sent at once; if another process moved the chain on meanwhile, it misses and goes again in
 * a group. A group that carries chained statements first locks the chain and reads where it
 * ends, and only then builds them, each on the one before: under the lock none can miss, and
 * processes that share the chain take turns in the order they asked for its lock.
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
  /** Where the chain ended after this connection's last chained statement, while it is known. */
  #chainEnd: { link: unknown } | undefined;

  /** `prepare` sees the client before it connects (the database wraps its `query`). */
  constructor(connectionString: string, prepare: (client: pg.Client) => void) {
    this.#connectionString = connectionString;
    this.#prepare = prepare;
  }

  send<Row>(query: CompiledQuery<Row>): Promise<Row[]> {
    return this.#enqueue(query);
  }

  /** Sends a statement of a chain, built once the link it follows is known; see Chain. */
  append<Row, Link>(statement: Chained<Link>): Promise<Row[]> {
    return this.#enqueue(statement);
  }

  #enqueue<Row>(query: CompiledQuery | Chained<unknown>): Promise<Row[]> {
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
        if (alone && group.length === 1 && (!isChained(alone.query) || this.#chainEnd)) {
          await this.#sendAlone(client, alone);
        } else {
          this.#waiting.unshift(...(await this.#sendTogether(client, group)));
        }
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
      const connecting: Promise<pg.Client> = connectPipelined(
        this.#connectionString,
        this.#prepare,
        () => {
          if (this.#client === connecting) this.#client = undefined;
        },
      );
      this.#client = connecting;
    }
    return this.#client;
  }

  async #sendAlone(client: pg.Client, waiting: Waiting): Promise<void> {
    const { query } = waiting;
    const built = isChained(query) && this.#chainEnd ? query.build(this.#chainEnd.link) : undefined;
    const compiled = built ? built.query : (query as CompiledQuery);
    if (built) this.#chainEnd = undefined;
    let rows: unknown[];
    try {
      rows = (await client.query(compiled.sql, [...compiled.parameters])).rows;
    } catch (error) {
      if (!refusedAgain(waiting, error)) this.#waiting.unshift(waiting);
      return;
    }
    if (!built || !isChained(query)) {
      waiting.resolve(rows);
    } else if (query.landed(rows, built.next)) {
      this.#chainEnd = { link: built.next };
      waiting.resolve(rows);
    } else {
      // Another process moved the chain on: this goes again in a group that locks it first.
      this.#waiting.unshift(waiting);
    }
  }

  /** Sends a group in one transaction; returns those to send again after a rollback. */
  async #sendTogether(client: pg.Client, group: Waiting[]): Promise<Waiting[]> {
    const begin = client.query('begin');
    const chain = group
      .map(({ query }) => (isChained(query) ? query.chain : undefined))
      .find(Boolean);
    let chainEnd: { link: unknown } | undefined;
    if (chain) {
      this.#chainEnd = undefined;
      try {
        chainEnd = {
          link: chain.linkOf((await client.query(chain.lock.sql, [...chain.lock.parameters])).rows),
        };
      } catch (error) {
        // Nothing else of the group was sent yet. Waiting for the lock can close a cycle of
        // waits (a transaction elsewhere holds a row the group holding the lock needs, and waits
        // for the lock itself) that PostgreSQL breaks by ending this transaction, which held
        // nothing: the group goes again. Any other failure fails it as a whole, with why.
        await client.query('rollback').catch(() => undefined);
        await begin.catch(() => undefined);
        if (isTransientConflict(error)) return group;
        for (const waiting of group) waiting.reject(error);
        return [];
      }
    }
    const built = group.map(({ query }) => {
      if (!isChained(query) || !chainEnd)
        return { compiled: query as CompiledQuery, next: undefined };
      const { query: compiled, next } = query.build(chainEnd.link);
      chainEnd.link = next;
      return { compiled, next: { link: next } };
    });
    const statements = built.map(({ compiled }) =>
      client.query(compiled.sql, [...compiled.parameters]),
    );
    const commit = client.query('commit');
    const [, ended, ...outcomes] = await Promise.allSettled([begin, commit, ...statements]);
    if (ended.status === 'rejected') {
      // The connection was lost: whether the group was kept is unknown.
      for (const waiting of group) waiting.reject(ended.reason);
      return [];
    }
    // COMMIT answers ROLLBACK when a statement of the transaction failed.
    const committed = ended.value.command === 'COMMIT';
    if (committed && chainEnd) this.#chainEnd = chainEnd;
    // Only the first statement to fail failed for itself: those after it were refused because
    // it had (a statement prepared in the aborted transaction is also not found by the next one
    // that uses it).
    const firstFailure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const again: Waiting[] = [];
    group.forEach((waiting, index) => {
      const outcome = outcomes[index];
      if (committed && outcome?.status === 'fulfilled') {
        const { query } = waiting;
        const next = built[index]?.next;
        if (isChained(query) && next && !query.landed(outcome.value.rows, next.link)) {
          waiting.reject(new Error('the chain moved on while this connection held its lock'));
        } else {
          waiting.resolve(outcome.value.rows);
        }
        return;
      }
      const error: unknown =
        outcome?.status === 'rejected'
          ? outcome.reason
          : new Error('the database rolled back a group of statements');
      // A statement that failed for itself hears why, unless PostgreSQL only ended it to break a
      // deadlock (then it goes again, a few times at most). The others went down with it and go
      // again: none of them was kept, and each rollback leaves the group one failure fewer.
      const forItself = index === firstFailure && !failedEarlier(error);
      if (!forItself || !refusedAgain(waiting, error)) again.push(waiting);
    });
    return again;
  }
}

/**
 * Rejects a statement that failed with `error`, unless PostgreSQL only ended its transaction to
 * break a deadlock and it has not met too many: then it is to go again.
 */
function refusedAgain(waiting: Waiting, error: unknown): boolean {
  if (isTransientConflict(error) && ++waiting.rollbacks <= maximumRollbacks) return false;
  waiting.reject(error);
  return true;
}

function isChained(query: CompiledQuery | Chained<unknown>): query is Chained<unknown> {
  return 'build' in query;
}

function failedEarlier(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === inFailedTransaction;
}

/**
 * A pipelining client, set up by `prepare` and connected; `forget` runs when it is lost (the
 * server restarted, the network failed) or never connects, so the next statement connects anew.
 */
export async function connectPipelined(
  connectionString: string,
  prepare: (client: pg.Client) => void,
  forget: () => void,
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, pipeline: true });
  prepare(client);
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
