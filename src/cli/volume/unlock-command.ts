import type { DecryptedVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import { createVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import { protectorTypeForSecret } from '../../bitlocker/volume/volume-keys.js';
import {
  assertComplete,
  assertDecryptable,
  openVolume,
  readBitLockerVolume,
} from '../../bitlocker/volume/volume.js';
import type { UnlockFlags } from '../commands/unlock.js';
import { CliError, ExitCode } from '../output.js';
import { openOutputSink, type OutputSink } from './output-sink.js';
import { createProgressBar, silentProgress, type Progress } from './progress-bar.js';
import { compileWebAssemblyOptimized, secretFromFlags } from './secret-input.js';
import { doesNotOpenMessage } from './verify-command.js';
import { volumeCliError, withImage } from './volume-errors.js';

/** Bytes per read: large enough to amortise each call into OpenSSL, a multiple of any sector. */
const chunkSize = 2 * 1024 * 1024;
/** Chunks read ahead: one is decrypted on the main thread while the next is read from disk. */
const readAhead = 2;

/**
 * Copies the decrypted volume to the sink. Reading, decrypting and writing overlap: while one
 * chunk is written, the next is decrypted and the one after is read. One buffer per chunk in
 * flight, reused in turn, so memory stays the same whatever the volume's size.
 */
async function streamVolume(
  reader: DecryptedVolumeReader,
  sink: OutputSink,
  progress: Progress,
): Promise<number> {
  const size = reader.layout.size;
  const buffers = Array.from({ length: readAhead + 1 }, () => new Uint8Array(chunkSize));
  const chunks = Math.ceil(size / chunkSize);
  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  const readAheadOfWriter = () => {
    while (pending.length < readAhead && next < chunks) {
      const offset = next * chunkSize;
      // Chunk n's buffer was last used by chunk n - buffers.length, which is written by now.
      const buffer = buffers[next % buffers.length] ?? new Uint8Array(chunkSize);
      const chunk = buffer.subarray(0, Math.min(chunkSize, size - offset));
      const read = reader.readInto(offset, chunk).then(() => chunk);
      // Marked handled now: it may fail while an earlier chunk is awaited, and is awaited later.
      read.catch(() => undefined);
      pending.push(read);
      next++;
    }
  };
  let written = 0;
  let writing: Promise<void> = Promise.resolve();
  readAheadOfWriter();
  for (let chunk = await pending.shift(); chunk; chunk = await pending.shift()) {
    await writing;
    const length = chunk.length;
    writing = sink.write(chunk).then(() => {
      written += length;
      progress.update(written);
    });
    writing.catch(() => undefined);
    readAheadOfWriter();
  }
  await writing;
  return written;
}

function summaryStream(sink: OutputSink): NodeJS.WriteStream {
  return sink.toStdout ? process.stderr : process.stdout;
}

export async function runUnlock(path: string, flags: UnlockFlags): Promise<void> {
  const secret = await secretFromFlags(flags);
  compileWebAssemblyOptimized();
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
      const opened = openVolume(volume, secret);
      if (!opened.opened) {
        throw new CliError(
          doesNotOpenMessage({
            opens: false,
            volumeGuid: volume.metadata[0].volumeGuid,
            reason: opened.reason,
            triedType: protectorTypeForSecret[secret.kind],
            protectors: opened.protectors,
          }),
          ExitCode.negative,
        );
      }
      const reader = createVolumeReader(source, volume, opened.metadata, opened.keys);
      const progress = flags.json
        ? silentProgress
        : createProgressBar(reader.layout.size, 'Decrypting');
      const started = performance.now();
      const bytes = await streamVolume(reader, sink, progress);
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
        stream.write(
          `Wrote ${bytes.toLocaleString('en-US')} bytes of decrypted volume to ${sink.name} in ${seconds.toFixed(1)} s (${(bytes / 1e6 / seconds).toFixed(0)} MB/s), opened with ${protector.type} protector ${protector.id}.\n`,
        );
      }
    } catch (error) {
      await sink.abort();
      throw volumeCliError(path, error);
    } finally {
      process.removeListener('SIGINT', abortOnSignal);
      process.removeListener('SIGTERM', abortOnSignal);
    }
  });
}
