import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { organisationOwner, userOwner } from '../db/owners.js';
import { openValue, rewrapValue, sealValue, SecretIntegrityError } from './envelope.js';
import { generateMasterKey } from './master-key.js';

const recoveryPassword = '123456-234567-345678-456789-567890-678901-789012-890123';
const binding = {
  secretId: 'secret-1',
  kind: 'recovery_password',
  boundId: 'key-1',
  owner: userOwner('user-1'),
};

describe('envelope encryption', () => {
  const v1 = generateMasterKey(1);

  it('opens what it sealed, and the sealed bytes do not contain the secret', () => {
    const sealed = sealValue(v1, binding, Buffer.from(recoveryPassword));
    assert.equal(sealed.keyVersion, 1);
    assert.equal(openValue(v1, binding, sealed).toString(), recoveryPassword);
    const stored = Buffer.concat([sealed.wrappedKey, sealed.ciphertext]);
    assert.equal(stored.includes(recoveryPassword), false);
    assert.equal(stored.includes('123456'), false);
  });

  it('gives every secret its own data key', () => {
    const first = sealValue(v1, binding, Buffer.from(recoveryPassword));
    const second = sealValue(v1, binding, Buffer.from(recoveryPassword));
    assert.notDeepEqual(first.wrappedKey, second.wrappedKey);
    assert.notDeepEqual(first.ciphertext, second.ciphertext);
  });

  it('refuses a ciphertext moved to another row, kind or owner', () => {
    const sealed = sealValue(v1, binding, Buffer.from(recoveryPassword));
    for (const moved of [
      { ...binding, secretId: 'secret-2' },
      { ...binding, boundId: 'key-2' },
      { ...binding, kind: 'totp' },
      { ...binding, owner: userOwner('user-2') },
      { ...binding, owner: organisationOwner('user-1') },
      { ...binding, owner: undefined },
    ]) {
      assert.throws(() => openValue(v1, moved, sealed), SecretIntegrityError);
    }
  });

  it('refuses the wrong master key and tampered bytes', () => {
    const sealed = sealValue(v1, binding, Buffer.from(recoveryPassword));
    assert.throws(() => openValue(generateMasterKey(1), binding, sealed), SecretIntegrityError);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    assert.throws(
      () => openValue(v1, binding, { ...sealed, ciphertext: flipped }),
      SecretIntegrityError,
    );
    assert.throws(() => openValue(v1, binding, { ...sealed, keyVersion: 2 }), SecretIntegrityError);
  });

  it('re-wraps under a new master key without touching the ciphertext', () => {
    const v2 = generateMasterKey(2);
    const sealed = sealValue(v1, binding, Buffer.from(recoveryPassword));
    const rewrapped = rewrapValue(v1, v2, binding, sealed);
    assert.equal(rewrapped.keyVersion, 2);
    assert.deepEqual(rewrapped.ciphertext, sealed.ciphertext);
    assert.equal(openValue(v2, binding, rewrapped).toString(), recoveryPassword);
    assert.throws(() => openValue(v1, binding, rewrapped), SecretIntegrityError);
  });
});
