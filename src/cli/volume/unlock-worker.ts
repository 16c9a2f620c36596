/**
 * One decryption thread of `keyhold unlock --threads N` on the WebAssembly path. It starts while the main thread is
 * still reading the metadata and opening the key, so its start-up costs no time of its own; the
 * volume to read comes afterwards, in a first `volume` message. It then opens the image itself,
 * reads the chunks the main thread asks for, decrypts them in place and hands each buffer back
 * (moved, not copied). The main thread writes them in order.
 */
import { parentPort } from 'node:worker_threads';
import { BitLockerFormatError } from '../../bitlocker/errors.js';
import type { EncryptionMethod } from '../../bitlocker/volume/metadata.js';
import { portableCrypto } from '../../bitlocker/volume/volume-crypto.js';
import { DecryptedVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import type { VolumeLayout } from '../../bitlocker/volume/volume-layout.js';
import type { Wording } from '../../text/wording.js';
import { openImageSource, type ImageSource } from './image-source.js';
import { compileWebAssemblyOptimized } from './secret-input.js';
import { youngGarbageCollector } from './young-garbage.js';

/** What to decrypt, once the main thread has opened the volume. */
export interface VolumeToDecrypt {
  path: string;
  layout: VolumeLayout;
  method: EncryptionMethod;
  fvek: Uint8Array;
}

export interface ChunkRequest {
  id: number;
  offset: number;
  length: number;
  buffer: ArrayBuffer;
}

export type WorkerRequest = { volume: VolumeToDecrypt } | ChunkRequest | 'close';

export type ChunkReply =
  | { id: number; buffer: ArrayBuffer }
  | {
      id: number;
      buffer: ArrayBuffer;
      error: {
        message: string;
        name: string;
        code: string | undefined;
        /** A BitLockerFormatError's wording, so the main thread can show it in either language. */
        wording: Wording | undefined;
      };
    };

if (!parentPort) throw new Error('unlock-worker runs only as a worker thread');
const port = parentPort;

compileWebAssemblyOptimized();
const collectYoungGarbage = youngGarbageCollector();

interface OpenedVolume {
  source: ImageSource;
  reader: DecryptedVolumeReader;
}

let opened: Promise<OpenedVolume> | undefined;

async function openVolumeToDecrypt(volume: VolumeToDecrypt): Promise<OpenedVolume> {
  const source = await openImageSource(volume.path);
  const decryptor = portableCrypto.createSectorDecryptor(
    volume.method,
    volume.fvek,
    volume.layout.sectorSize,
  );
  return { source, reader: new DecryptedVolumeReader(source, volume.layout, decryptor) };
}

function replyWithError(id: number, buffer: ArrayBuffer, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  const raw = (failure as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : undefined;
  port.postMessage(
    {
      id,
      buffer,
      error: {
        message: failure.message,
        name: failure.name,
        code,
        wording: failure instanceof BitLockerFormatError ? failure.wording : undefined,
      },
    } satisfies ChunkReply,
    [buffer],
  );
}

port.on('message', (request: WorkerRequest) => {
  if (request === 'close') {
    const closing = opened ? opened.then(({ source }) => source.close()) : Promise.resolve();
    void closing
      .catch(() => undefined)
      .finally(() => {
        port.close();
      });
    return;
  }
  if ('volume' in request) {
    opened = openVolumeToDecrypt(request.volume);
    // Marked handled now: a failure to open is reported with the first chunk that needs it.
    opened.catch(() => undefined);
    return;
  }
  const { id, offset, length, buffer } = request;
  if (!opened) {
    replyWithError(id, buffer, new Error('a decryption thread was given no volume'));
    return;
  }
  opened
    .then(({ reader }) => reader.readInto(offset, new Uint8Array(buffer, 0, length)))
    .then(
      () => {
        collectYoungGarbage();
        port.postMessage({ id, buffer } satisfies ChunkReply, [buffer]);
      },
      (error: unknown) => {
        replyWithError(id, buffer, error);
      },
    );
});
