import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { UnsupportedVolumeError } from './errors.js';
import { volumeFormatMessages } from './messages.js';
import type { EncryptionMethod } from './metadata.js';
import type { Segment } from './volume-layout.js';
import { kernelBatchBytes, XtsKernel } from './xts-kernel.js';

/**
 * Sector decryption for every BitLocker cipher (docs/bitlocker-format.md, section 7.4).
 *
 * Node's ciphers cost microseconds per call, and XTS and CBC need a fresh tweak or IV for every
 * 512-byte sector, so one call per sector would cap throughput near 80 MB/s. Both modes are
 * built here on AES-ECB instead, which OpenSSL runs at several GB/s over large buffers: one ECB
 * call computes the tweaks or IVs of all sectors in a batch and one ECB call decrypts the whole
 * batch. The XTS tweak arithmetic runs in WebAssembly SIMD (xts-kernel.ts); CBC chaining and
 * the Elephant diffuser work on 32-bit words.
 */
export interface SectorDecryptor {
  readonly sectorSize: number;
  /**
   * Decrypts whole sectors that were read at `physicalOffset` on the volume into `output`
   * (same length as `input`; may be the same buffer).
   */
  decrypt(input: Uint8Array, physicalOffset: number, output: Uint8Array): void;
  /**
   * The same work off the JavaScript thread, where the implementation can (the native addon
   * runs it on Node's thread pool); several calls may run at once. `input` and `output` must
   * not be touched until the promise settles.
   */
  decryptAsync?(input: Uint8Array, physicalOffset: number, output: Uint8Array): Promise<void>;
  /**
   * Reads `segments` of the volume from the open image file `inFd`, decrypts the encrypted
   * ones and writes every segment at its logical offset to the open file `outFd`, off the
   * JavaScript thread and without handing any bytes to it (the native addon, on POSIX systems).
   * Several calls may run at once. An image that ends early rejects with code
   * `KEYHOLD_SHORT_READ`.
   */
  copyAsync?(inFd: number, outFd: number, segments: readonly Segment[]): Promise<void>;
  /**
   * copyAsync to an output that takes bytes only in order (a pipe, standard output), from
   * logical offset `start`: each call of the returned function reads and decrypts its segments
   * at once with the others, then writes them at the output's position once the ranges before
   * them are written. Ranges must be asked for in the order of their offsets, adjoining, and no
   * more at once than Node's thread pool has threads (a range waiting for its turn holds one).
   * Once a range fails, the later ones reject with code `KEYHOLD_COPY_ABANDONED`.
   */
  orderedCopy?(
    inFd: number,
    outFd: number,
    start: number,
  ): (segments: readonly Segment[]) => Promise<void>;
}

const blockSize = 16;

function ecbDecipher(key: Uint8Array): Decipher {
  const decipher = createDecipheriv(`aes-${key.length * 8}-ecb`, key, null);
  decipher.setAutoPadding(false);
  return decipher;
}

function ecbCipher(key: Uint8Array): Cipher {
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  cipher.setAutoPadding(false);
  return cipher;
}

/** Int32 view of bytes; copies into an aligned buffer when the bytes are not 4-aligned. */
function words(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) {
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  }
  return new Int32Array(Uint8Array.from(bytes).buffer);
}

/** A scratch buffer that grows to the largest batch seen and is then reused. */
class Scratch {
  private bytes = new Uint8Array(0);

  get(length: number): Uint8Array {
    if (this.bytes.length < length) this.bytes = new Uint8Array(length);
    return this.bytes.subarray(0, length);
  }
}

/**
 * One 16-byte little-endian integer per sector: the sector number (XTS) or its byte offset
 * (CBC IVs and Elephant sector keys), written into `target`.
 */
function fillCounters(
  target: Uint8Array,
  first: number,
  step: number,
  count: number,
  topByte = 0,
  stride = blockSize,
): void {
  const view = new DataView(target.buffer, target.byteOffset, target.length);
  for (let i = 0; i < count; i++) {
    const value = first + i * step;
    const at = i * stride;
    view.setUint32(at, value >>> 0, true);
    view.setUint32(at + 4, Math.floor(value / 0x100000000), true);
    view.setUint32(at + 8, 0, true);
    view.setUint32(at + 12, topByte << 24, true);
  }
}

/**
 * Sectors per call into OpenSSL. Each call returns a newly allocated buffer; past a few hundred
 * kilobytes, fresh allocations cost more (page faults) than the decryption itself.
 */
const batchBytes = kernelBatchBytes;

/** Splits a run of sectors into batches that fit the scratch buffers. */
abstract class BatchedDecryptor implements SectorDecryptor {
  constructor(readonly sectorSize: number) {}

  decrypt(input: Uint8Array, physicalOffset: number, output: Uint8Array): void {
    if (input.length % this.sectorSize !== 0 || output.length !== input.length) {
      throw new RangeError(`sector decryption needs whole ${this.sectorSize}-byte sectors`);
    }
    const step = Math.max(this.sectorSize, batchBytes - (batchBytes % this.sectorSize));
    for (let at = 0; at < input.length; at += step) {
      const end = Math.min(input.length, at + step);
      const into = output.subarray(at, end);
      const aligned = into.byteOffset % 4 === 0 ? into : new Uint8Array(end - at);
      this.decryptBatch(input.subarray(at, end), physicalOffset + at, aligned);
      if (aligned !== into) into.set(aligned);
    }
  }

  /** `output` is 4-byte aligned. */
  protected abstract decryptBatch(
    input: Uint8Array,
    physicalOffset: number,
    output: Uint8Array,
  ): void;
}

/** XTS-AES (IEEE 1619) with the sector number as tweak; the tweak arithmetic runs in SIMD. */
class XtsDecryptor extends BatchedDecryptor {
  private readonly dataKey: Decipher;
  private readonly tweakKey: Cipher;
  private readonly counters = new Scratch();
  private readonly kernel = new XtsKernel();

  constructor(fvek: Uint8Array, keySize: number, sectorSize: number) {
    super(sectorSize);
    this.dataKey = ecbDecipher(fvek.subarray(0, keySize));
    this.tweakKey = ecbCipher(fvek.subarray(keySize, 2 * keySize));
  }

  protected decryptBatch(input: Uint8Array, physicalOffset: number, output: Uint8Array): void {
    const sectors = input.length / this.sectorSize;
    const counters = this.counters.get(sectors * blockSize);
    fillCounters(counters, physicalOffset / this.sectorSize, 1, sectors);
    const whitened = this.kernel.prepare(input, this.tweakKey.update(counters), this.sectorSize);
    this.kernel.finish(this.dataKey.update(whitened), output);
  }
}

/** AES-CBC with IV = AES(byte offset), optionally followed by the Elephant diffuser. */
class CbcDecryptor extends BatchedDecryptor {
  private readonly dataKey: Decipher;
  private readonly ivKey: Cipher;
  private readonly sectorKeyCipher: Cipher | undefined;
  private readonly counters = new Scratch();

  constructor(fvek: Uint8Array, keySize: number, sectorSize: number, elephant: boolean) {
    super(sectorSize);
    const key = fvek.subarray(0, keySize);
    this.dataKey = ecbDecipher(key);
    this.ivKey = ecbCipher(key);
    // The diffuser's sector key comes from the second half of the FVEK.
    this.sectorKeyCipher = elephant ? ecbCipher(fvek.subarray(32, 32 + keySize)) : undefined;
  }

  protected decryptBatch(input: Uint8Array, physicalOffset: number, plainBytes: Uint8Array): void {
    const output = words(plainBytes);
    const sectors = input.length / this.sectorSize;
    const counters = this.counters.get(sectors * blockSize);
    fillCounters(counters, physicalOffset, this.sectorSize, sectors);
    const ivs = words(this.ivKey.update(counters));
    const plain = words(this.dataKey.update(input));
    const inputWords = words(input);
    const wordsPerSector = this.sectorSize >>> 2;
    // Each block is XORed with the previous ciphertext block, the first with the sector's IV.
    // Last block first, so that decrypting in place never overwrites a ciphertext block that
    // is still needed.
    for (let sector = 0; sector < sectors; sector++) {
      const start = sector * wordsPerSector;
      for (let i = start + wordsPerSector - 1; i >= start + 4; i--) {
        output[i] = (plain[i] ?? 0) ^ (inputWords[i - 4] ?? 0);
      }
      for (let j = 0; j < 4; j++) {
        output[start + j] = (plain[start + j] ?? 0) ^ (ivs[sector * 4 + j] ?? 0);
      }
    }
    if (this.sectorKeyCipher) {
      this.undiffuse(output, physicalOffset, sectors, this.sectorKeyCipher);
    }
  }

  /** Elephant: diffuser B (3 cycles), diffuser A (5 cycles), then XOR with the sector key. */
  private undiffuse(
    plain: Int32Array,
    physicalOffset: number,
    sectors: number,
    sectorKeyCipher: Cipher,
  ): void {
    const counters = this.counters.get(sectors * 2 * blockSize);
    fillCounters(counters, physicalOffset, this.sectorSize, sectors, 0, 2 * blockSize);
    fillCounters(
      counters.subarray(blockSize),
      physicalOffset,
      this.sectorSize,
      sectors,
      0x80,
      2 * blockSize,
    );
    const sectorKeys = words(sectorKeyCipher.update(counters));
    const n = this.sectorSize >>> 2;
    for (let sector = 0; sector < sectors; sector++) {
      const d = plain.subarray(sector * n, (sector + 1) * n);
      diffuserB(d);
      diffuserA(d);
      const key = sectorKeys.subarray(sector * 8, sector * 8 + 8);
      for (let i = 0; i < n; i++) d[i] = (d[i] ?? 0) ^ (key[i & 7] ?? 0);
    }
  }
}

function rotl(value: number, bits: number): number {
  return bits === 0 ? value : (value << bits) | (value >>> (32 - bits));
}

const rotationsA = [9, 0, 13, 0];
const rotationsB = [0, 10, 0, 25];

/** One step of diffuser B at word i, with indices wrapping around the sector. */
function stepB(d: Int32Array, i: number): void {
  const n = d.length;
  const mixed = (d[(i + 2) % n] ?? 0) ^ rotl(d[(i + 5) % n] ?? 0, rotationsB[i % 4] ?? 0);
  d[i] = ((d[i] ?? 0) + mixed) | 0;
}

function stepA(d: Int32Array, i: number): void {
  const n = d.length;
  const mixed = (d[(i + n - 2) % n] ?? 0) ^ rotl(d[(i + n - 5) % n] ?? 0, rotationsA[i % 4] ?? 0);
  d[i] = ((d[i] ?? 0) + mixed) | 0;
}

/**
 * Elephant diffuser B, decryption direction: 3 cycles of d[i] += d[i+2] ^ rotl(d[i+5], r),
 * i ascending. The middle of the sector needs no wrap-around and runs unrolled by four so the
 * rotations are constants; the last words wrap.
 */
function diffuserB(d: Int32Array): void {
  const n = d.length;
  for (let cycle = 0; cycle < 3; cycle++) {
    let i = 0;
    for (; i + 8 < n; i += 4) {
      d[i] = ((d[i] ?? 0) + ((d[i + 2] ?? 0) ^ (d[i + 5] ?? 0))) | 0;
      d[i + 1] = ((d[i + 1] ?? 0) + ((d[i + 3] ?? 0) ^ rotl(d[i + 6] ?? 0, 10))) | 0;
      d[i + 2] = ((d[i + 2] ?? 0) + ((d[i + 4] ?? 0) ^ (d[i + 7] ?? 0))) | 0;
      d[i + 3] = ((d[i + 3] ?? 0) + ((d[i + 5] ?? 0) ^ rotl(d[i + 8] ?? 0, 25))) | 0;
    }
    for (; i < n; i++) stepB(d, i);
  }
}

/** Elephant diffuser A, decryption direction: 5 cycles of d[i] += d[i-2] ^ rotl(d[i-5], r). */
function diffuserA(d: Int32Array): void {
  const n = d.length;
  for (let cycle = 0; cycle < 5; cycle++) {
    let i = 0;
    for (; i < Math.min(8, n); i++) stepA(d, i);
    for (; i + 4 <= n; i += 4) {
      d[i] = ((d[i] ?? 0) + ((d[i - 2] ?? 0) ^ rotl(d[i - 5] ?? 0, 9))) | 0;
      d[i + 1] = ((d[i + 1] ?? 0) + ((d[i - 1] ?? 0) ^ (d[i - 4] ?? 0))) | 0;
      d[i + 2] = ((d[i + 2] ?? 0) + ((d[i] ?? 0) ^ rotl(d[i - 3] ?? 0, 13))) | 0;
      d[i + 3] = ((d[i + 3] ?? 0) + ((d[i + 1] ?? 0) ^ (d[i - 2] ?? 0))) | 0;
    }
    for (; i < n; i++) stepA(d, i);
  }
}

export function createSectorDecryptor(
  method: EncryptionMethod,
  fvek: Uint8Array,
  sectorSize: number,
): SectorDecryptor {
  switch (method) {
    case 'aes-xts-128':
      return new XtsDecryptor(fvek, 16, sectorSize);
    case 'aes-xts-256':
      return new XtsDecryptor(fvek, 32, sectorSize);
    case 'aes-cbc-128':
      return new CbcDecryptor(fvek, 16, sectorSize, false);
    case 'aes-cbc-256':
      return new CbcDecryptor(fvek, 32, sectorSize, false);
    case 'aes-cbc-128-elephant':
      return new CbcDecryptor(fvek, 16, sectorSize, true);
    case 'aes-cbc-256-elephant':
      return new CbcDecryptor(fvek, 32, sectorSize, true);
    default:
      throw new UnsupportedVolumeError(
        'unsupported-encryption-method',
        volumeFormatMessages.methodNotDecrypted(String(method)),
      );
  }
}
