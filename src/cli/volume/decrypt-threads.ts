import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { VolumeFormatError } from '../../bitlocker/volume/errors.js';
import type { Wording } from '../../text/wording.js';
import type { ChunkReply, VolumeToDecrypt, WorkerRequest } from './unlock-worker.js';

/** Turns a failure reported by a worker back into the kind of error the CLI explains. */
function errorFromWorker(error: {
  message: string;
  name: string;
  code: string | undefined;
  wording: Wording | undefined;
}): Error {
  // Only the volume reader's errors carry a wording: the volume is damaged or incomplete.
  if (error.wording) return new VolumeFormatError(error.code ?? 'volume', error.wording);
  return Object.assign(new Error(error.message), { code: error.code });
}

/**
 * Worker threads that read and decrypt chunks of a volume on the WebAssembly path (the native
 * addon decrypts on Node's own thread pool instead). They are started first and told the volume
 * with `start` once it is open, so their start-up overlaps the main thread's metadata and key
 * work. `decrypt` resolves with the
 * same memory, moved back from the worker; chunks are spread over the threads in turn.
 */
export class DecryptThreads {
  private readonly workers: Worker[];
  private readonly waiting = new Map<
    number,
    { resolve: (buffer: ArrayBuffer) => void; reject: (error: unknown) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;
  private started = false;

  constructor(threads: number) {
    const script = new URL('./unlock-worker.js', import.meta.url);
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(script);
      worker.on('message', (reply: ChunkReply) => {
        const waiter = this.waiting.get(reply.id);
        this.waiting.delete(reply.id);
        if ('error' in reply) waiter?.reject(errorFromWorker(reply.error));
        else waiter?.resolve(reply.buffer);
      });
      worker.on('error', (error) => {
        this.fail(error);
      });
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a decryption thread stopped (exit ${code})`));
      });
      return worker;
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  /** Gives every thread the volume to read; chunks may be asked for right after. */
  start(volume: VolumeToDecrypt): void {
    this.started = true;
    const request: WorkerRequest = { volume: { ...volume, fvek: Uint8Array.from(volume.fvek) } };
    for (const worker of this.workers) worker.postMessage(request);
  }

  /** Reads and decrypts `length` bytes at logical `offset` into `buffer`, which is moved. */
  decrypt(offset: number, buffer: ArrayBuffer, length: number): Promise<ArrayBuffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length];
    if (!worker) return Promise.reject(new Error('no decryption threads'));
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const request: WorkerRequest = { id, offset, length, buffer };
      worker.postMessage(request, [buffer]);
    });
  }

  /**
   * Lets each thread close its image and end. Threads that failed, or were never given a
   * volume (the key did not open it), are stopped at once.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        worker.removeAllListeners('exit');
        if (this.failure !== undefined || !this.started) {
          await worker.terminate();
          return;
        }
        const ended = once(worker, 'exit');
        worker.postMessage('close' satisfies WorkerRequest);
        await ended;
      }),
    );
  }
}
