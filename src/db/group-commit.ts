import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

export type TransactionWork<T> = (trx: Kysely<DatabaseSchema>) => Promise<T>;

interface Queued {
  work: TransactionWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Bounds how long the first writer of a batch waits for the commit behind the last one. */
const maximumBatch = 128;

/**
 * Transactions that share their commit. SQLite with `synchronous=FULL` syncs the disk on every
 * commit, which caps one-at-a-time writers at the disk's sync rate (a few hundred to two thousand
 * a second) however little each one writes. Here the transactions that arrive together run one
 * after another inside a single database transaction, each in its own savepoint, and commit once:
 * a failing one rolls back to its savepoint and leaves the others intact, and nobody hears of
 * success before the shared commit is on disk.
 *
 * The batch starts on the next turn of the event loop, so writers whose requests arrived together
 * join it instead of queueing behind its commit one by one.
 */
export class GroupCommit {
  readonly #db: Kysely<DatabaseSchema>;
  #queue: Queued[] = [];
  #scheduled = false;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  run<T>(work: TransactionWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#commitBatch();
    });
  }

  async #commitBatch(): Promise<void> {
    const batch: Queued[] = [];
    const outcomes: (() => void)[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        // Writers arriving while the batch runs join it, up to the limit.
        for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
          batch.push(next);
          outcomes.push(await runInSavepoint(trx, next));
          if (batch.length >= maximumBatch) break;
        }
      });
    } catch (error) {
      // The shared commit failed: nothing was kept. Writers already told of their own failure
      // keep that answer (a promise settles once). When the transaction could not even begin
      // (a closed database), the writers waiting now would only meet the same refusal.
      const failed = batch.length > 0 ? batch : this.#queue.splice(0);
      for (const queued of failed) queued.reject(error);
      if (this.#queue.length > 0) this.#schedule();
      return;
    }
    for (const settle of outcomes) settle();
    if (this.#queue.length > 0) this.#schedule();
  }
}

/**
 * Runs one writer's work. A failure is told at once (none of it is kept, whatever happens to the
 * batch); success is told only once the batch has committed, through the function returned.
 */
async function runInSavepoint(
  trx: Kysely<DatabaseSchema>,
  { work, resolve, reject }: Queued,
): Promise<() => void> {
  await sql`savepoint grouped_write`.execute(trx);
  let value: unknown;
  try {
    value = await work(trx);
  } catch (error) {
    reject(error);
    try {
      await sql`rollback to grouped_write`.execute(trx);
      await sql`release grouped_write`.execute(trx);
    } catch {
      // SQLite has already ended the whole transaction (a full disk, an I/O error): the batch
      // fails with that cause rather than with the savepoint it no longer has.
      throw error;
    }
    return () => undefined;
  }
  await sql`release grouped_write`.execute(trx);
  return () => {
    resolve(value);
  };
}
