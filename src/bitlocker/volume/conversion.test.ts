import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversionState, volumeConversion } from './metadata.js';

const mib = 1 << 20;

/** The two state fields of a block header as Windows writes them, and the encrypted size. */
function conversionOf(current: number, next: number, { usedSpaceOnly = false } = {}) {
  return volumeConversion(
    { usedSpaceOnly },
    { state: { current, next }, encryptedVolumeSize: 40 * mib },
  );
}

describe('encryption mode and conversion state', () => {
  it('tells each conversion state apart, with the encrypted size', () => {
    assert.deepEqual(conversionOf(4, 4), {
      mode: 'full',
      status: 'fully-encrypted',
      encryptedSize: 40 * mib,
    });
    assert.equal(conversionOf(2, 4).status, 'encrypting');
    assert.equal(conversionOf(2, 1).status, 'decrypting');
    assert.equal(conversionOf(1, 1).status, 'decrypted');
    assert.deepEqual(conversionOf(5, 4), {
      mode: 'full',
      status: 'paused',
      pausedWhile: 'encrypting',
      encryptedSize: 40 * mib,
    });
    assert.equal(conversionOf(5, 1).pausedWhile, 'decrypting');
  });

  it('keeps a state pair Windows is not known to write apart, instead of guessing', () => {
    for (const [current, next] of [
      [0, 0],
      [3, 4],
      [4, 1],
      [2, 2],
      [5, 5],
      [0xffff, 4],
    ] as const) {
      assert.equal(conversionOf(current, next).status, 'unknown', `${current}/${next}`);
      assert.equal(conversionState(conversionOf(current, next)), 'partially-encrypted');
    }
  });

  it('reports the mode apart from the progress: a used-space-only volume paused mid-way', () => {
    const paused = conversionOf(5, 4, { usedSpaceOnly: true });
    assert.equal(paused.mode, 'used-space-only');
    assert.equal(paused.status, 'paused');
    assert.equal(paused.encryptedSize, 40 * mib);
    assert.equal(conversionOf(4, 4, { usedSpaceOnly: true }).status, 'fully-encrypted');
  });

  it('keeps the one-word state scripts read as it was', () => {
    assert.equal(conversionState(conversionOf(4, 4)), 'fully-encrypted');
    assert.equal(conversionState(conversionOf(1, 1)), 'decrypted');
    for (const [current, next] of [
      [2, 4],
      [2, 1],
      [5, 4],
      [5, 1],
    ] as const) {
      assert.equal(conversionState(conversionOf(current, next)), 'partially-encrypted');
    }
    for (const [current, next] of [
      [4, 4],
      [5, 4],
      [1, 1],
    ] as const) {
      assert.equal(
        conversionState(conversionOf(current, next, { usedSpaceOnly: true })),
        'used-space-only',
      );
    }
  });
});
