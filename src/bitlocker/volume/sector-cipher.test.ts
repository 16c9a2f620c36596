import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSectorDecryptor } from './sector-cipher.js';

function le128(value: number): Buffer {
  const block = Buffer.alloc(16);
  block.writeBigUInt64LE(BigInt(value), 0);
  return block;
}

/** Decrypts sector by sector with Node's own XTS: the slow, obviously right way. */
function referenceXts(fvek: Buffer, keySize: number, data: Buffer, offset: number, sector: number) {
  const out = Buffer.alloc(data.length);
  for (let at = 0; at < data.length; at += sector) {
    const decipher = createDecipheriv(
      `aes-${keySize * 8}-xts`,
      fvek.subarray(0, 2 * keySize),
      le128((offset + at) / sector),
    );
    decipher.update(data.subarray(at, at + sector)).copy(out, at);
  }
  return out;
}

/** Sector by sector with Node's CBC and BitLocker's IV: AES-ECB of the sector's byte offset. */
function referenceCbc(key: Buffer, data: Buffer, offset: number, sector: number) {
  const out = Buffer.alloc(data.length);
  for (let at = 0; at < data.length; at += sector) {
    const ivCipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
    const iv = ivCipher.update(le128(offset + at));
    const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv).setAutoPadding(false);
    decipher.update(data.subarray(at, at + sector)).copy(out, at);
  }
  return out;
}

describe('sector decryption', () => {
  for (const [method, keySize] of [
    ['aes-xts-128', 16],
    ['aes-xts-256', 32],
  ] as const) {
    for (const sector of [512, 4096]) {
      it(`${method} with ${sector}-byte sectors matches XTS decryption per sector`, () => {
        const fvek = randomBytes(2 * keySize);
        const data = randomBytes(sector * 7);
        // Past 2^32 sectors too: the tweak is a 128-bit sector number.
        for (const offset of [0, sector * 3, sector * 2 ** 33]) {
          const out = Buffer.alloc(data.length);
          createSectorDecryptor(method, fvek, sector).decrypt(data, offset, out);
          assert.deepEqual(out, referenceXts(fvek, keySize, data, offset, sector));
        }
      });
    }
  }

  for (const [method, keySize] of [
    ['aes-cbc-128', 16],
    ['aes-cbc-256', 32],
  ] as const) {
    it(`${method} matches CBC decryption with the encrypted-offset IV`, () => {
      const fvek = randomBytes(keySize);
      const data = randomBytes(512 * 5);
      const out = Buffer.alloc(data.length);
      createSectorDecryptor(method, fvek, 512).decrypt(data, 512 * 9, out);
      assert.deepEqual(out, referenceCbc(fvek, data, 512 * 9, 512));
    });
  }

  it('decrypts in place and from unaligned buffers', () => {
    const fvek = randomBytes(32);
    const data = randomBytes(512 * 3);
    const cases = [
      ['aes-xts-128', referenceXts(fvek, 16, data, 0, 512)],
      ['aes-cbc-128', referenceCbc(fvek.subarray(0, 16), data, 0, 512)],
    ] as const;
    for (const [method, expected] of cases) {
      for (const shift of [0, 1]) {
        const buffer = Buffer.alloc(data.length + shift).subarray(shift);
        data.copy(buffer);
        createSectorDecryptor(method, fvek, 512).decrypt(buffer, 0, buffer);
        assert.deepEqual(Buffer.from(buffer), expected, `${method}, shifted by ${shift}`);
      }
    }
  });

  it('refuses partial sectors', () => {
    const decryptor = createSectorDecryptor('aes-xts-128', randomBytes(32), 512);
    assert.throws(() => {
      decryptor.decrypt(new Uint8Array(100), 0, new Uint8Array(100));
    }, RangeError);
  });
});
