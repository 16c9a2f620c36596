import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decryptAesCcm } from './aes-ccm.js';

function encrypt(key: Buffer, nonce: Buffer, plaintext: Buffer) {
  const cipher = createCipheriv('aes-256-ccm', key, nonce, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, tag: cipher.getAuthTag(), ciphertext };
}

describe('decryptAesCcm', () => {
  const key = randomBytes(32);
  const plaintext = randomBytes(44);
  const blob = encrypt(key, randomBytes(12), plaintext);

  it('decrypts with the right key', () => {
    assert.deepEqual(decryptAesCcm(key, blob), plaintext);
  });

  it('answers undefined for a wrong key or altered bytes, never a wrong plaintext', () => {
    assert.equal(decryptAesCcm(randomBytes(32), blob), undefined);
    const altered = Buffer.from(blob.ciphertext);
    altered[3] = (altered[3] ?? 0) ^ 1;
    assert.equal(decryptAesCcm(key, { ...blob, ciphertext: altered }), undefined);
  });
});
