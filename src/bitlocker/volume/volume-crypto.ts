import { constants as osConstants } from 'node:os';
import { stretchKey } from './key-stretch.js';
import type { EncryptionMethod } from './metadata.js';
import { createSectorDecryptor, type SectorDecryptor } from './sector-cipher.js';
import type { Segment } from './volume-layout.js';

/**
 * The two costly steps of reading a volume, behind one interface so the caller chooses the
 * implementation: the portable WebAssembly and JavaScript code of this folder, or Keyhold's
 * native addon (native/keyhold_native.c), which the CLI loads (src/cli/volume/native-crypto.ts).
 * Both give the same bytes; the property tests compare them.
 */
export interface VolumeCrypto {
  /** `native` or `webassembly`, for messages and benchmarks. */
  readonly name: 'native' | 'webassembly';
  /** BitLocker's million-round SHA-256 stretch (key-stretch.ts). */
  readonly stretchKey: (initialHash: Uint8Array, salt: Uint8Array, rounds?: number) => Uint8Array;
  readonly createSectorDecryptor: (
    method: EncryptionMethod,
    fvek: Uint8Array,
    sectorSize: number,
  ) => SectorDecryptor;
}

/** The WebAssembly and JavaScript implementation: works wherever Node runs. */
export const portableCrypto: VolumeCrypto = {
  name: 'webassembly',
  stretchKey,
  createSectorDecryptor,
};

/** The functions the native addon exports (see native/keyhold_native.c). */
export interface NativeBinding {
  /** Whether this CPU has the SHA instructions the addon's own stretch loop runs on. */
  readonly shaInstructions: boolean;
  /** With `shaInstructions` false, or on a CPU without them, the stretch loops over OpenSSL. */
  stretchKey(
    initialHash: Uint8Array,
    salt: Uint8Array,
    rounds: number,
    shaInstructions: boolean,
  ): Uint8Array;
  /** `mode`: 0 XTS, 1 CBC, 2 CBC with the Elephant diffuser. */
  createDecryptor(mode: number, keySize: number, fvek: Uint8Array, sectorSize: number): object;
  decrypt(decryptor: object, input: Uint8Array, physicalOffset: number, output: Uint8Array): void;
  /** `decrypt` on Node's thread pool; one decryptor must not run two calls at once. */
  decryptAsync(
    decryptor: object,
    input: Uint8Array,
    physicalOffset: number,
    output: Uint8Array,
  ): Promise<void>;
  /**
   * Reads, decrypts and writes file to file on Node's thread pool; `plan` holds
   * [kind (0 zeros, 1 clear, 2 encrypted), offset, length, physicalOffset] a segment. With an
   * `order` (createWriteOrder), the range is written in its turn at the output's position
   * instead of at its offset. Absent on Windows.
   */
  copyAsync?(
    decryptor: object,
    inFd: number,
    outFd: number,
    plan: Float64Array,
    order?: object,
  ): Promise<void>;
  /** An ordered output whose first range starts at `start`, for copyAsync. */
  createWriteOrder?(start: number): object;
}

const segmentKinds = { zero: 0, plain: 1, encrypted: 2 } as const;

/** A failed read or write from the addon, with the errno value named as Node names it (ENOSPC). */
function withErrnoName(error: unknown): unknown {
  const failure = error as { code?: unknown; errno?: unknown };
  if (failure.code !== 'KEYHOLD_SYSTEM_ERROR' || typeof failure.errno !== 'number') return error;
  const errnoValue = failure.errno;
  const name = Object.entries(osConstants.errno).find(([, value]) => value === errnoValue)?.[0];
  return Object.assign(failure, { code: name ?? `errno ${String(errnoValue)}` });
}

const nativeModes: Readonly<Record<EncryptionMethod, { mode: number; keySize: number }>> = {
  'aes-xts-128': { mode: 0, keySize: 16 },
  'aes-xts-256': { mode: 0, keySize: 32 },
  'aes-cbc-128': { mode: 1, keySize: 16 },
  'aes-cbc-256': { mode: 1, keySize: 32 },
  'aes-cbc-128-elephant': { mode: 2, keySize: 16 },
  'aes-cbc-256-elephant': { mode: 2, keySize: 32 },
};

const bitlockerRounds = 0x100000;

/**
 * The native addon behind the {@link VolumeCrypto} interface. `useShaInstructions` false keeps
 * the key stretch on OpenSSL even on a CPU with SHA instructions (both give the same keys).
 */
export function nativeCrypto(binding: NativeBinding, useShaInstructions = true): VolumeCrypto {
  return {
    name: 'native',
    stretchKey: (initialHash, salt, rounds = bitlockerRounds) => {
      if (initialHash.length !== 32 || salt.length !== 16) {
        throw new RangeError('stretchKey needs a 32-byte hash and a 16-byte salt');
      }
      return binding.stretchKey(initialHash, salt, rounds, useShaInstructions);
    },
    createSectorDecryptor: (method, fvek, sectorSize) => {
      const { mode, keySize } = nativeModes[method];
      const key = Uint8Array.from(fvek);
      // A native decryptor has scratch space and OpenSSL contexts that one call at a time may
      // use: calls running at once on the thread pool each take one of their own from here.
      const idle = [binding.createDecryptor(mode, keySize, key, sectorSize)];
      const take = () => idle.pop() ?? binding.createDecryptor(mode, keySize, key, sectorSize);
      const checkSectors = (input: Uint8Array, output: Uint8Array) => {
        if (input.length % sectorSize !== 0 || output.length !== input.length) {
          throw new RangeError(`sector decryption needs whole ${sectorSize}-byte sectors`);
        }
      };
      const copyAsync = binding.copyAsync?.bind(binding);
      const copyWith = copyAsync
        ? (order?: object) => async (inFd: number, outFd: number, segments: readonly Segment[]) => {
            const plan = new Float64Array(segments.length * 4);
            segments.forEach((segment, i) => {
              const physicalOffset = segment.kind === 'zero' ? 0 : segment.physicalOffset;
              plan.set(
                [segmentKinds[segment.kind], segment.offset, segment.length, physicalOffset],
                i * 4,
              );
            });
            const decryptor = take();
            try {
              await copyAsync(decryptor, inFd, outFd, plan, order);
            } catch (error) {
              throw withErrnoName(error);
            } finally {
              idle.push(decryptor);
            }
          }
        : undefined;
      const createWriteOrder = binding.createWriteOrder?.bind(binding);
      const orderedCopy =
        copyWith && createWriteOrder
          ? (inFd: number, outFd: number, start: number) => {
              const copy = copyWith(createWriteOrder(start));
              return (segments: readonly Segment[]) => copy(inFd, outFd, segments);
            }
          : undefined;
      return {
        sectorSize,
        ...(copyWith ? { copyAsync: copyWith() } : {}),
        ...(orderedCopy ? { orderedCopy } : {}),
        decrypt(input, physicalOffset, output) {
          checkSectors(input, output);
          const decryptor = take();
          try {
            binding.decrypt(decryptor, input, physicalOffset, output);
          } finally {
            idle.push(decryptor);
          }
        },
        async decryptAsync(input, physicalOffset, output) {
          checkSectors(input, output);
          const decryptor = take();
          try {
            await binding.decryptAsync(decryptor, input, physicalOffset, output);
          } finally {
            idle.push(decryptor);
          }
        },
      };
    },
  };
}
