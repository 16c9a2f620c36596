import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateLuksRecoveryPassphrase } from './recovery-passphrase-generation.js';
import { luksPassphraseFromGroups, parseLuksRecoveryPassphrase } from './recovery-passphrase.js';

describe('LUKS recovery passphrase', () => {
  it('is 8 groups of 5 digits: at least 128 bits, typed as printed', () => {
    const passphrase = generateLuksRecoveryPassphrase();
    assert.match(passphrase, /^\d{5}(-\d{5}){7}$/);
    assert.ok(8 * Math.log2(100_000) >= 128);
    assert.equal(parseLuksRecoveryPassphrase(passphrase), passphrase);
  });

  it('keeps leading zeros, so every group is read out the same length', () => {
    assert.equal(
      luksPassphraseFromGroups([0, 7, 99_999, 10, 123, 4_567, 80_000, 5]),
      '00000-00007-99999-00010-00123-04567-80000-00005',
    );
    assert.throws(() => luksPassphraseFromGroups([100_000, 0, 0, 0, 0, 0, 0, 0]), RangeError);
  });

  it('reads a passphrase written down with spaces or no dashes back to the stored form', () => {
    const stored = '12345-67890-12345-67890-12345-67890-12345-67890';
    assert.equal(parseLuksRecoveryPassphrase(stored.replace(/-/g, ' ')), stored);
    assert.equal(parseLuksRecoveryPassphrase(stored.replace(/-/g, '')), stored);
    assert.equal(parseLuksRecoveryPassphrase(stored.slice(0, -1)), undefined);
    assert.equal(
      parseLuksRecoveryPassphrase('123456-123456-123456-123456-123456-123456-123456-123456'),
      undefined,
    );
  });

  it('draws different passphrases each time', () => {
    const drawn = new Set(Array.from({ length: 100 }, generateLuksRecoveryPassphrase));
    assert.equal(drawn.size, 100);
  });
});
