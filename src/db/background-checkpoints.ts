import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the WAL is copied back into the database file. */
const intervalMs = 1000;
/**
 * The server's own connection checkpoints only if the WAL grows past this many pages (about
 * 64 MB): a safety net should the background thread ever stop.
 */
export const fallbackCheckpointPages = 16_000;

// Runs in the worker thread (plain CommonJS, so no build step or loader is needed for it).
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage(String(error && error.message));
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Copies committed pages from the WAL into the database file on a thread of its own. SQLite
 * otherwise does it inside whichever commit crosses the threshold, and that commit (and with it
 * every request the server is handling) waits while a thousand pages are written and synced.
 * A passive checkpoint never blocks readers or the writer.
 */
export class BackgroundCheckpoints {
  readonly #worker: Worker;
  readonly #stopped: Promise<void>;

  constructor(file: string, onProblem: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(workerSource, {
      eval: true,
      workerData: { file, driver, intervalMs },
    });
    this.#worker.on('message', (message: string) => {
      onProblem(message);
    });
    this.#worker.on('error', (error) => {
      onProblem(error.message);
    });
    this.#worker.unref();
    this.#stopped = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        resolve();
      }),
    );
  }

  /** Runs a last checkpoint and closes the thread's connection. */
  async stop(): Promise<void> {
    // Unreferenced, the thread would not keep the process alive to finish.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#stopped;
  }
}
