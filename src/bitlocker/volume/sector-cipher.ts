import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { UnsupportedVolumeError } from './errors.js';
import type { EncryptionMethod } from './metadata.js';

/**
 * Sector decryption for every BitLocker cipher (bitlocker-format.md, section 7.4).
 *
 * Node's ciphers cost microseconds per call, and XTS and CBC need a fresh tweak or IV for every
 * 512-byte sector, so one call per sector would cap throughput near 80 MB/s. Both modes are
 * built here on AES-ECB instead, which OpenSSL runs at several GB/s over large buffers: one ECB
 * call computes the tweaks or IVs of all sectors in a batch, one ECB call decrypts the whole
 * batch, and the XORs that chain blocks together are done on 32-bit words.
 */
export interface SectorDecryptor {
  readonly sectorSize: number;
  /**
   * Decrypts whole sectors that were read at `physicalOffset` on the volume into `output`
   * (same length as `input`; may be the same buffer).
   */
  decrypt(input: Uint8Array, physicalOffset: number, output: Uint8Array): void;
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

function checkSectors(input: Uint8Array, output: Uint8Array, sectorSize: number): number {
  if (input.length % sectorSize !== 0 || output.length !== input.length) {
    throw new RangeError(`sector decryption needs whole ${sectorSize}-byte sectors`);
  }
  return input.length / sectorSize;
}

/** XTS-AES (IEEE 1619) with the sector number as tweak. */
class XtsDecryptor implements SectorDecryptor {
  private readonly dataKey: Decipher;
  private readonly tweakKey: Cipher;
  private readonly counters = new Scratch();
  private readonly tweaks = new Scratch();
  private readonly staging = new Scratch();

  constructor(
    fvek: Uint8Array,
    keySize: number,
    readonly sectorSize: number,
  ) {
    this.dataKey = ecbDecipher(fvek.subarray(0, keySize));
    this.tweakKey = ecbCipher(fvek.subarray(keySize, 2 * keySize));
  }

  decrypt(input: Uint8Array, physicalOffset: number, output: Uint8Array): void {
    const sectors = checkSectors(input, output, this.sectorSize);
    const counters = this.counters.get(sectors * blockSize);
    fillCounters(counters, physicalOffset / this.sectorSize, 1, sectors);
    const firstTweaks = words(this.tweakKey.update(counters));
    const tweaks = words(this.tweaks.get(input.length));
    const staging = this.staging.get(input.length);
    const inputWords = words(input);
    const stagingWords = words(staging);
    const wordsPerSector = this.sectorSize >>> 2;
    for (let sector = 0; sector < sectors; sector++) {
      let t0 = firstTweaks[sector * 4] ?? 0;
      let t1 = firstTweaks[sector * 4 + 1] ?? 0;
      let t2 = firstTweaks[sector * 4 + 2] ?? 0;
      let t3 = firstTweaks[sector * 4 + 3] ?? 0;
      const end = (sector + 1) * wordsPerSector;
      for (let i = sector * wordsPerSector; i < end; i += 4) {
        tweaks[i] = t0;
        tweaks[i + 1] = t1;
        tweaks[i + 2] = t2;
        tweaks[i + 3] = t3;
        stagingWords[i] = (inputWords[i] ?? 0) ^ t0;
        stagingWords[i + 1] = (inputWords[i + 1] ?? 0) ^ t1;
        stagingWords[i + 2] = (inputWords[i + 2] ?? 0) ^ t2;
        stagingWords[i + 3] = (inputWords[i + 3] ?? 0) ^ t3;
        // Next tweak: multiply by x in GF(2^128), little-endian, reducing by x^128 + x^7 + x^2 + x + 1.
        const carry = t3 >> 31;
        t3 = (t3 << 1) | (t2 >>> 31);
        t2 = (t2 << 1) | (t1 >>> 31);
        t1 = (t1 << 1) | (t0 >>> 31);
        t0 = (t0 << 1) ^ (carry & 0x87);
      }
    }
    const plain = words(this.dataKey.update(staging));
    const outputWords = words(output);
    for (let i = 0; i < plain.length; i++) outputWords[i] = (plain[i] ?? 0) ^ (tweaks[i] ?? 0);
    if (output.byteOffset % 4 !== 0) output.set(new Uint8Array(outputWords.buffer));
  }
}

/** AES-CBC with IV = AES(byte offset), optionally followed by the Elephant diffuser. */
class CbcDecryptor implements SectorDecryptor {
  private readonly dataKey: Decipher;
  private readonly ivKey: Cipher;
  private readonly sectorKeyCipher: Cipher | undefined;
  private readonly counters = new Scratch();

  constructor(
    fvek: Uint8Array,
    keySize: number,
    readonly sectorSize: number,
    elephant: boolean,
  ) {
    const key = fvek.subarray(0, keySize);
    this.dataKey = ecbDecipher(key);
    this.ivKey = ecbCipher(key);
    // The diffuser's sector key comes from the second half of the FVEK.
    this.sectorKeyCipher = elephant ? ecbCipher(fvek.subarray(32, 32 + keySize)) : undefined;
  }

  decrypt(input: Uint8Array, physicalOffset: number, output: Uint8Array): void {
    const sectors = checkSectors(input, output, this.sectorSize);
    const counters = this.counters.get(sectors * blockSize);
    fillCounters(counters, physicalOffset, this.sectorSize, sectors);
    const ivs = words(this.ivKey.update(counters));
    const plain = words(this.dataKey.update(input));
    const inputWords = words(input);
    const wordsPerSector = this.sectorSize >>> 2;
    // Each block is XORed with the previous ciphertext block, the first with the sector's IV.
    for (let sector = 0; sector < sectors; sector++) {
      const start = sector * wordsPerSector;
      for (let j = 0; j < 4; j++)
        plain[start + j] = (plain[start + j] ?? 0) ^ (ivs[sector * 4 + j] ?? 0);
      for (let i = start + 4; i < start + wordsPerSector; i++) {
        plain[i] = (plain[i] ?? 0) ^ (inputWords[i - 4] ?? 0);
      }
    }
    if (this.sectorKeyCipher) this.undiffuse(plain, physicalOffset, sectors, this.sectorKeyCipher);
    output.set(new Uint8Array(plain.buffer, plain.byteOffset, input.length));
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

export function diffuserB(d: Int32Array): void {
  const n = d.length;
  for (let cycle = 0; cycle < 3; cycle++) {
    for (let i = 0; i < n; i++) {
      const mixed = (d[(i + 2) % n] ?? 0) ^ rotl(d[(i + 5) % n] ?? 0, rotationsB[i % 4] ?? 0);
      d[i] = ((d[i] ?? 0) + mixed) | 0;
    }
  }
}

export function diffuserA(d: Int32Array): void {
  const n = d.length;
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = 0; i < n; i++) {
      const mixed =
        (d[(i - 2 + n) % n] ?? 0) ^ rotl(d[(i - 5 + n) % n] ?? 0, rotationsA[i % 4] ?? 0);
      d[i] = ((d[i] ?? 0) + mixed) | 0;
    }
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
        `Keyhold does not decrypt ${String(method)} volumes.`,
      );
  }
}
