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
    assert.deepEqual(passwordWeaknesses('🔑🔒🗝️🔐🔓', account), ['use at least 10 characters']);
  });

  it('refuse common, patterned and personal passwords, giving every reason', () => {
    const account = { email: 'grace.hopper@example.org', displayName: 'Grace Hopper' };
    assert.deepEqual(passwordWeaknesses('Password123!', account).length, 0);
    assert.deepEqual(passwordWeaknesses('password1234', account), [
      'it is one of the most common passwords',
    ]);
    assert.deepEqual(passwordWeaknesses('abcabcabcabc', account), [
      'it is a run or a repetition of characters',
    ]);
    assert.deepEqual(passwordWeaknesses('9876543210', account), [
      'it is a run or a repetition of characters',
    ]);
    assert.deepEqual(passwordWeaknesses('GraceHopper2024', account), [
      'it is mostly your email or name',
    ]);
    assert.deepEqual(passwordWeaknesses('abc', account), [
      'use at least 10 characters',
      'it is a run or a repetition of characters',
    ]);
  });
});
