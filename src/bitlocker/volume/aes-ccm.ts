import { createDecipheriv } from 'node:crypto';
import type { EncryptedBlob } from './metadata.js';

/**
 * Decrypts an AES-256-CCM value (12-byte nonce, 16-byte tag, no associated data). Returns
 * undefined when the tag does not match: for a key protector, that is the answer "wrong key".
 */
export function decryptAesCcm(key: Uint8Array, blob: EncryptedBlob): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-ccm', key, blob.nonce, { authTagLength: 16 });
  decipher.setAuthTag(blob.tag);
  try {
    const plaintext = decipher.update(blob.ciphertext);
    decipher.final();
    return plaintext;
  } catch {
    return undefined;
  }
}
