/**
 * One decryption thread of `keyhold unlock --threads N`. It opens the image itself, reads the
 * chunks the main thread asks for, decrypts them in place and hands each buffer back (moved,
 * not copied). The main thread writes them in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EncryptionMethod } from '../../bitlocker/volume/metadata.js';
import { portableCrypto } from '../../bitlocker/volume/volume-crypto.js';
import { DecryptedVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import type { VolumeLayout } from '../../bitlocker/volume/volume-layout.js';
import { openImageSource } from './image-source.js';
import { chooseVolumeCrypto } from './native-crypto.js';
import { compileWebAssemblyOptimized } from './secret-input.js';

export interface UnlockWorkerData {
  path: string;
  layout: VolumeLayout;
  method: EncryptionMethod;
  fvek: Uint8Array;
  /** The main thread's choice, so every thread decrypts the same way. */
  native: boolean;
}

export interface ChunkRequest {
  id: number;
  offset: number;
  length: number;
  buffer: ArrayBuffer;
}

export type ChunkReply =
  | { id: number; buffer: ArrayBuffer }
  | {
      id: number;
      buffer: ArrayBuffer;
      error: { message: string; name: string; code: string | undefined };
    };

const data = workerData as UnlockWorkerData;
const port = parentPort;
if (!port) throw new Error('unlock-worker runs only as a worker thread');

const crypto = data.native ? chooseVolumeCrypto().crypto : portableCrypto;
if (crypto.name === 'webassembly') compileWebAssemblyOptimized();
const source = await openImageSource(data.path);
const decryptor = crypto.createSectorDecryptor(data.method, data.fvek, data.layout.sectorSize);
const reader = new DecryptedVolumeReader(source, data.layout, decryptor);

port.on('message', (request: ChunkRequest | 'close') => {
  if (request === 'close') {
    void source.close().finally(() => {
      port.close();
    });
    return;
  }
  const { id, offset, length, buffer } = request;
  reader.readInto(offset, new Uint8Array(buffer, 0, length)).then(
    () => {
      port.postMessage({ id, buffer } satisfies ChunkReply, [buffer]);
    },
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      const raw = (failure as { code?: unknown }).code;
      const code = typeof raw === 'string' ? raw : undefined;
      port.postMessage(
        {
          id,
          buffer,
          error: { message: failure.message, name: failure.name, code },
        } satisfies ChunkReply,
        [buffer],
      );
    },
  );
});
