import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PasswordHasher, passwordWeaknesses } from './passwords.js';

describe('passwords', () => {
  const hasher = new PasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 });

  it('are hashed with argon2id at the configured cost and checked against the hash', async () => {
    const hash = await hasher.hash('a long and private passphrase');
    assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(hash.includes('passphrase'), false);
    assert.equal(await hasher.verify(hash, 'a long and private passphrase'), true);
    assert.equal(await hasher.verify(hash, 'a long and private passphrasE'), false);
    assert.equal(await hasher.verify('not a hash', 'anything'), false);
    assert.equal(await hasher.verifyNothing('anything'), false);
  });

  it('accept long, unusual passphrases, counting characters as people do', () => {
    const account = { email: 'ada@example.org', displayName: 'Ada Lovelace' };
    assert.deepEqual(passwordWeaknesses('violet tractor umbrella', account), []);
    assert.deepEqual(passwordWeaknesses('ÅÄÖåäöüéñ€', account), []);
    assert.deepEqual(passwordWeaknesses('fjord kettle 93 lantern', account), []);
    assert.deepEqual(passwordWeaknesses('🔑🔒🗝️🔐🔓', account), ['too_short']);
  });

  it('refuse common, patterned and personal passwords, giving every reason', () => {
    const account = { email: 'grace.hopper@example.org', displayName: 'Grace Hopper' };
    assert.deepEqual(passwordWeaknesses('password1234', account), ['common']);
    assert.deepEqual(passwordWeaknesses('abcabcabcabc', account), ['pattern']);
    assert.deepEqual(passwordWeaknesses('9876543210', account), ['pattern']);
    assert.deepEqual(passwordWeaknesses('zyxwvutsrqpo', account), ['pattern']);
    assert.deepEqual(passwordWeaknesses('GraceHopper2024', account), ['personal']);
    assert.deepEqual(passwordWeaknesses('abc', account), ['too_short', 'pattern']);
  });

  it('see through case, letters written as digits and symbols, and added digits or punctuation', () => {
    const someone = { email: 'kari.nordmann@example.no', displayName: 'Kari Nordmann' };
    for (const weak of [
      'Password2025!',
      'P@ssw0rd2025!',
      'letmein12345',
      'L3tm31n!!2025',
      'keyhold2025',
      'Keyhold!!2026',
      'Summer2025!!',
      '2025Summer!!',
      '$ummer2025!!',
      'Sommer2025!!',
      'Passord12345',
      'BitLocker2025',
    ]) {
      assert.ok(
        passwordWeaknesses(weak, someone).includes('common'),
        `${weak} should be refused as common`,
      );
    }
  });

  it('refuse the person’s own name or email with digits added', () => {
    const dave = { email: 'dave@example.org', displayName: 'Dave' };
    assert.ok(passwordWeaknesses('Dave12345678', dave).includes('personal'));
    const ola = { email: 'ola.normann@example.no', displayName: 'Ola Normann' };
    assert.deepEqual(passwordWeaknesses('Normann2025!!', ola), ['personal']);
    assert.deepEqual(passwordWeaknesses('olanormann!!', ola), ['personal']);
  });

  it('refuse what is quick to guess even when no list holds it whole', () => {
    const account = { email: 'ada@example.org', displayName: 'Ada Lovelace' };
    assert.deepEqual(passwordWeaknesses('monkeydragon1', account), ['guessable']);
    assert.deepEqual(passwordWeaknesses('iloveyou2much', account), ['guessable']);
  });
});
