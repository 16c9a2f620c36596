import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from './crc32.js';

describe('crc32', () => {
  it('matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('is zero for no bytes and changes with any flipped bit', () => {
    assert.equal(crc32(new Uint8Array(0)), 0);
    const bytes = Buffer.from('-FVE-FS- metadata block');
    const before = crc32(bytes);
    bytes[5] = (bytes[5] ?? 0) ^ 0x10;
    assert.notEqual(crc32(bytes), before);
  });
});
