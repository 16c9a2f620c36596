import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { recoveryPasswordToKey } from '../recovery-password.js';
import { stretchKey } from './key-stretch.js';

/** The stretch exactly as the format describes it, one Node hash call per round. */
function referenceStretch(initial: Buffer, salt: Buffer, rounds: number): Buffer {
  const struct = Buffer.alloc(88);
  initial.copy(struct, 32);
  salt.copy(struct, 64);
  for (let count = 0n; count < BigInt(rounds); count++) {
    struct.writeBigUInt64LE(count, 80);
    createHash('sha256').update(struct).digest().copy(struct, 0);
  }
  return struct.subarray(0, 32);
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

describe('stretchKey', () => {
  it('gives the worked vector for the recovery password of bitlk-aes-xts-128', () => {
    const key = recoveryPasswordToKey('235818-357951-253979-013365-241120-245575-342914-591910');
    const salt = Buffer.from('2ba080989af9b50c203aaebd0b40d498', 'hex');
    assert.equal(
      stretchKey(sha256(key), salt).toString('hex'),
      '1a39f926dab83e947fa85125b91e556e9ecc2bc5968924e03de234878d1fd4bd',
    );
  });

  it('agrees with a direct implementation for random inputs and round counts', () => {
    for (const rounds of [1, 2, 257, 8191, 8192, 8193, 20000]) {
      const initial = randomBytes(32);
      const salt = randomBytes(16);
      assert.deepEqual(
        stretchKey(initial, salt, rounds),
        referenceStretch(initial, salt, rounds),
        `${rounds} rounds`,
      );
    }
  });
});
