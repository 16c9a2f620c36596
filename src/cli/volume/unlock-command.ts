import { availableParallelism } from 'node:os';
import { createVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import { protectorTypeForSecret } from '../../bitlocker/volume/volume-keys.js';
import {
  assertComplete,
  assertDecryptable,
  openVolume,
  readBitLockerVolume,
} from '../../bitlocker/volume/volume.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import { DecryptThreads } from './decrypt-threads.js';
import { volumeMessages } from './messages.js';
import { volumeCrypto } from './native-crypto.js';
import { assertOutputFolderExists, openOutputSink, type OutputSink } from './output-sink.js';
import { createProgressBar, silentProgress, type Progress } from './progress-bar.js';
import type { SecretFlags } from './secret-flags.js';
import { compileWebAssemblyOptimized, secretFromFlags } from './secret-input.js';
import { youngGarbageCollector } from './young-garbage.js';
import { doesNotOpenMessage } from './verify-command.js';
import { volumeCliError, withImage } from './volume-errors.js';

export interface UnlockFlags extends SecretFlags {
  out: string;
  force?: boolean;
  json?: boolean;
  threads?: string;
  verbose?: boolean;
}

/** Bytes per chunk: large enough to amortise each call into OpenSSL, a multiple of any sector. */
const chunkSize = 4 * 1024 * 1024;

/** Reads and decrypts `length` bytes at logical `offset` into `buffer`; resolves to the memory. */
type ChunkDecryptor = (offset: number, buffer: ArrayBuffer, length: number) => Promise<ArrayBuffer>;

/** Runs at most `concurrency` calls of `decryptChunk` at once; the others wait in turn. */
function limitConcurrency(concurrency: number, decryptChunk: ChunkDecryptor): ChunkDecryptor {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (offset, buffer, length) => {
    if (running < concurrency) running++;
    // A finishing call hands its place straight to the first waiting one.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await decryptChunk(offset, buffer, length);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/**
 * Node's thread pool, which runs file reads and writes and the native addon's decryption:
 * UV_THREADPOOL_SIZE threads, 4 unless set before Node starts.
 */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isSafeInteger(size) && size > 0 ? size : 4;
}

/**
 * Copies the decrypted volume to the sink, in order. `inFlight` chunks are read and decrypted
 * ahead of the writer (on Node's thread pool, on worker threads, or interleaved on this one); each has its buffer from
 * a fixed pool, returned once written, so memory stays the same whatever the volume's size.
 */
async function streamVolume(
  size: number,
  decryptChunk: ChunkDecryptor,
  inFlight: number,
  sink: OutputSink,
  progress: Progress,
): Promise<number> {
  const free = Array.from({ length: inFlight }, () => new ArrayBuffer(chunkSize));
  const chunks = Math.ceil(size / chunkSize);
  const pending: Promise<{ buffer: ArrayBuffer; length: number }>[] = [];
  let next = 0;
  const readAhead = () => {
    while (next < chunks && pending.length < inFlight) {
      const buffer = free.pop();
      if (!buffer) return;
      const offset = next * chunkSize;
      const length = Math.min(chunkSize, size - offset);
      const decrypted = decryptChunk(offset, buffer, length).then((memory) => ({
        buffer: memory,
        length,
      }));
      // Marked handled now: it may fail while an earlier chunk is awaited, and is awaited later.
      decrypted.catch(() => undefined);
      pending.push(decrypted);
      next++;
    }
  };
  let written = 0;
  readAhead();
  for (let chunk = await pending.shift(); chunk; chunk = await pending.shift()) {
    await sink.write(new Uint8Array(chunk.buffer, 0, chunk.length));
    written += chunk.length;
    progress.update(written);
    free.push(chunk.buffer);
    readAhead();
  }
  return written;
}

/**
 * Copies the decrypted volume file to file with the native addon: `concurrency` chunks at once,
 * each read, decrypted and written at its offset on Node's thread pool, in whatever order they
 * finish. No bytes pass through JavaScript, so there is no buffer here to bound.
 */
async function copyVolume(
  size: number,
  copyChunk: (offset: number, length: number) => Promise<void>,
  concurrency: number,
  progress: Progress,
): Promise<number> {
  let next = 0;
  let written = 0;
  let failed = false;
  const copyNext = async (): Promise<void> => {
    while (!failed && next < size) {
      const offset = next;
      const length = Math.min(chunkSize, size - offset);
      next += length;
      await copyChunk(offset, length).catch((error: unknown) => {
        failed = true;
        throw error;
      });
      written += length;
      progress.update(written);
    }
  };
  const copiers = Array.from({ length: concurrency }, copyNext);
  // All settle before the first failure is reported, so none still writes when the file is removed.
  const results = await Promise.allSettled(copiers);
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  // In order, the ranges after a failed one are abandoned: the failed one says what went wrong.
  const cause = failures.find(
    (error) => (error as { code?: unknown }).code !== 'KEYHOLD_COPY_ABANDONED',
  );
  if (failures.length > 0) throw cause ?? failures[0];
  return written;
}

/** `--threads`: a whole number from 1 up; by default one thread per core. */
export function parseThreads(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const threads = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(threads) || threads < 1 || threads > 256) {
    throw new CliError(say(volumeMessages.badThreads(value)));
  }
  return threads;
}

/** A failed write to the output (a full disk, say), said as such rather than as a failed read. */
function writeFailure(sink: OutputSink, error: unknown): CliError | undefined {
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (syscall !== 'write' || typeof code !== 'string') return undefined;
  return new CliError(say(volumeMessages.writeFailed(sink.name, code)), ExitCode.environment);
}

function summaryStream(sink: OutputSink): NodeJS.WriteStream {
  return sink.toStdout ? process.stderr : process.stdout;
}

export async function runUnlock(path: string, flags: UnlockFlags): Promise<void> {
  const threads = parseThreads(flags.threads);
  await assertOutputFolderExists(flags.out);
  const secret = await secretFromFlags(flags);
  const crypto = volumeCrypto(flags);
  if (crypto.name === 'webassembly') compileWebAssemblyOptimized();
  // The native addon decrypts on Node's thread pool, which is already running. The WebAssembly
  // path needs worker threads of its own: started now, they load their code while this one
  // reads the metadata and opens the key (a key stretch for passwords), instead of after it.
  const pool =
    threads > 1 && crypto.name === 'webassembly' ? new DecryptThreads(threads) : undefined;
  const closePool = () => pool?.close();
  await withImage(path, async (source) => {
    const volume = await readBitLockerVolume(source);
    assertDecryptable(volume);
    assertComplete(volume, source.size);
    const sink = await openOutputSink(flags.out, flags.force === true, path);
    const abortOnSignal = () => {
      void sink.abort().finally(() => process.exit(130));
    };
    process.once('SIGINT', abortOnSignal);
    process.once('SIGTERM', abortOnSignal);
    try {
      const opened = openVolume(volume, secret, crypto);
      if (!opened.opened) {
        throw new CliError(
          say(
            doesNotOpenMessage({
              opens: false,
              volumeGuid: volume.metadata[0].volumeGuid,
              reason: opened.reason,
              triedType: protectorTypeForSecret[secret.kind],
              protectors: opened.protectors,
            }),
          ),
          ExitCode.negative,
        );
      }
      const reader = createVolumeReader(source, volume, opened.metadata, opened.keys, crypto);
      const { layout } = reader;
      const progress = flags.json
        ? silentProgress
        : createProgressBar(layout.size, say(volumeMessages.decrypting));
      const started = performance.now();
      let bytes: number;
      const decryptHere: ChunkDecryptor = async (offset, buffer, length) => {
        await reader.readInto(offset, new Uint8Array(buffer, 0, length));
        return buffer;
      };
      if (crypto.name === 'native' && sink.fd !== undefined && reader.copiesBetweenFiles) {
        // File to file: each chunk is read, decrypted and written in one job on the thread
        // pool. The kernel writes into one file one copy at a time, so one job more than
        // `threads` keeps `threads` cores working: one writes while the others read and decrypt
        // (no more than the pool has).
        const outFd = sink.fd;
        const concurrency = Math.max(1, Math.min(threads + 1, threadPoolSize()));
        const copyChunk = (offset: number, length: number) =>
          reader.copyBetweenFiles(source.fd, outFd, offset, length);
        bytes = await copyVolume(layout.size, copyChunk, concurrency, progress);
      } else if (sink.orderedFd !== undefined && reader.copiesInOrder) {
        // To standard output: each chunk is read and decrypted in one job on the thread pool
        // and written there in its turn, `threads` + 1 jobs at once as to a file (no more than
        // the pool has threads: a job waiting for its turn holds one).
        const concurrency = Math.max(1, Math.min(threads + 1, threadPoolSize()));
        const copyChunk = reader.copierInOrder(source.fd, sink.orderedFd, 0);
        bytes = await copyVolume(layout.size, copyChunk, concurrency, progress);
      } else if (crypto.name === 'native') {
        // Reads, decryption and writes all run on the thread pool. Up to `threads` chunks are
        // read and decrypted at once, leaving a pool thread free so that the next write never
        // queues behind them; two more chunks wait to be written, so the writer never waits.
        const concurrency = Math.max(1, Math.min(threads, threadPoolSize() - 1));
        const decryptOnPool = limitConcurrency(concurrency, decryptHere);
        bytes = await streamVolume(layout.size, decryptOnPool, concurrency + 2, sink, progress);
      } else if (!pool) {
        // One extra chunk in flight: one is read from disk while the other is decrypted.
        const collectYoungGarbage = youngGarbageCollector();
        const decryptAndCollect: ChunkDecryptor = async (offset, buffer, length) => {
          const decrypted = await decryptHere(offset, buffer, length);
          collectYoungGarbage();
          return decrypted;
        };
        bytes = await streamVolume(layout.size, decryptAndCollect, 3, sink, progress);
      } else {
        const method = opened.metadata.encryptionMethod;
        if (!method) throw new Error('assertDecryptable lets only known methods through');
        pool.start({ path, layout, method, fvek: opened.keys.fvek });
        // Two chunks a thread: each decrypts one while the next is read.
        const onThreads: ChunkDecryptor = (offset, buffer, length) =>
          pool.decrypt(offset, buffer, length);
        bytes = await streamVolume(layout.size, onThreads, 2 * threads, sink, progress);
      }
      await sink.commit();
      progress.finish();
      const seconds = (performance.now() - started) / 1000;
      const protector = opened.keys.protector;
      const stream = summaryStream(sink);
      if (flags.json) {
        stream.write(
          `${JSON.stringify(
            {
              out: flags.out,
              bytes,
              volumeGuid: opened.metadata.volumeGuid,
              protectorId: protector.id,
              seconds: Number(seconds.toFixed(3)),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const wrote = volumeMessages.wrote(bytes, sink.name, seconds, protector.type, protector.id);
        stream.write(`${say(wrote)}\n`);
      }
    } catch (error) {
      await sink.abort();
      // A reader that stops early (`| head`) is not an error, as for Node's own writes (main.ts).
      if (sink.toStdout && (error as NodeJS.ErrnoException).code === 'EPIPE') {
        process.exit(process.exitCode ?? ExitCode.ok);
      }
      throw volumeCliError(path, writeFailure(sink, error) ?? error);
    } finally {
      process.removeListener('SIGINT', abortOnSignal);
      process.removeListener('SIGTERM', abortOnSignal);
    }
  }).finally(closePool);
}
