import { parentPort, workerData } from 'node:worker_threads';
import { BitLockerFormatError } from '../../../bitlocker/errors.js';
import { bufferSource, readKeySource } from '../../../bitlocker/key-sources.js';

/**
 * Reads one large upload on a thread of its own (see `readKeysOffThread` in import.ts): parsing
 * a megabyte of tool output takes long enough to hold up every other request on the main thread.
 * Answers `{ keys }`, or `{ formatError }` with the code and wording of a file that holds no
 * keys.
 */
const { fileName, bytes } = workerData as { fileName: string; bytes: Uint8Array };
readKeySource(bufferSource(fileName, bytes)).then(
  (keys) => {
    parentPort?.postMessage({ keys });
  },
  (error: unknown) => {
    if (!(error instanceof BitLockerFormatError)) throw error;
    parentPort?.postMessage({ formatError: { code: error.code, wording: error.wording } });
  },
);
