import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** How often the WAL is copied back into the database file. */
const intervalMs = 1000;
/**
 * The server's own connection checkpoints only if the WAL grows past this many pages (about
 * 64 MB): a safety net should the background thread ever stop.
 */
export const fallbackCheckpointPages = 16_000;

const walBusyMessage =
  'the SQLite WAL could not be emptied: another connection kept reading from it; the pages ' +
  'it holds are overwritten as SQLite reuses it';

/**
 * Copies the whole WAL into the database file and cuts the WAL to nothing, so the pages as they
 * were before a delete are gone from it too. Waits (busy_timeout) for readers of older pages.
 */
export function emptyWal(sqlite: SqliteDatabase.Database): void {
  const [result] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  if (result?.busy) throw new Error(walBusyMessage);
}

// Runs in the worker thread (plain CommonJS, so no build step or loader is needed for it).
// Messages in: 'empty' (answered with { emptied } or { problem }), 'stop'. Out: { problem }.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('secure_delete = ON');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ problem: String(error && error.code ? error.code + ': ' + error.message : error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'empty') {
    try {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)');
      parentPort.postMessage(result && result.busy ? { emptyFailed: workerData.busyMessage } : { emptied: true });
    } catch (error) {
      parentPort.postMessage({ emptyFailed: String(error && error.code ? error.code + ': ' + error.message : error) });
    }
    return;
  }
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

type WorkerMessage = { problem: string } | { emptied: true } | { emptyFailed: string };

/**
 * Copies committed pages from the WAL into the database file on a thread of its own. SQLite
 * otherwise does it inside whichever commit crosses the threshold, and that commit (and with it
 * every request the server is handling) waits while a thousand pages are written and synced.
 * A passive checkpoint never blocks readers or the writer.
 */
export class BackgroundCheckpoints {
  readonly #worker: Worker;
  readonly #stopped: Promise<void>;
  /** Callers waiting for the WAL to be emptied, answered in the order they asked. */
  readonly #emptying: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #stopping = false;

  constructor(file: string, onProblem: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(workerSource, {
      eval: true,
      workerData: { file, driver, intervalMs, busyMessage: walBusyMessage },
    });
    this.#worker.on('message', (message: WorkerMessage) => {
      if ('problem' in message) {
        onProblem(message.problem);
        return;
      }
      const waiting = this.#emptying.shift();
      if (this.#emptying.length === 0 && !this.#stopping) this.#worker.unref();
      if ('emptied' in message) waiting?.resolve();
      else waiting?.reject(new Error(message.emptyFailed));
    });
    this.#worker.on('error', (error) => {
      onProblem(error.message);
    });
    this.#worker.unref();
    this.#stopped = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        for (const waiting of this.#emptying.splice(0)) {
          waiting.reject(new Error('the checkpoint thread stopped before emptying the WAL'));
        }
        resolve();
      }),
    );
  }

  /**
   * Empties the WAL (see `emptyWal`) on the thread, so the server's requests go on meanwhile.
   * Waiting for readers blocks the thread, not the event loop.
   */
  emptyWal(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#emptying.push({ resolve, reject });
      // Someone waits for the answer: the thread keeps the process alive until it comes.
      this.#worker.ref();
      this.#worker.postMessage('empty');
    });
  }

  /** Runs a last checkpoint and closes the thread's connection. */
  async stop(): Promise<void> {
    // Unreferenced, the thread would not keep the process alive to finish.
    this.#stopping = true;
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#stopped;
  }
}
