import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { formatMasterKeys, parseMasterKeys, type MasterKey } from '../crypto/master-key.js';
import type { SealedMasterKeyFields } from './backup-file.js';
import { OperationError, operationMessages } from './messages.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * scrypt at N=2^17, r=8 (128 MiB, about half a second here): a passphrase guessed offline from a
 * stolen backup costs the attacker that much per guess.
 */
const cost = 2 ** 17;
const blockSize = 8;
const parallelism = 1;
export const minimumPassphraseLength = 12;
const label = 'keyhold backup master key v1';

function deriveKey(passphrase: string, salt: Buffer, fields = { cost, blockSize, parallelism }) {
  return scryptAsync(passphrase.normalize('NFC'), salt, 32, {
    N: fields.cost,
    r: fields.blockSize,
    p: fields.parallelism,
    maxmem: 256 * fields.cost * fields.blockSize,
  });
}

/** The master key file's text, encrypted (AES-256-GCM) under a key derived from the passphrase. */
export async function sealMasterKeys(
  keys: MasterKey[],
  passphrase: string,
): Promise<SealedMasterKeyFields> {
  if (passphrase.length < minimumPassphraseLength) {
    throw new OperationError(operationMessages.passphraseTooShort(minimumPassphraseLength));
  }
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(passphrase, salt), nonce);
  cipher.setAAD(Buffer.from(label));
  const ciphertext = Buffer.concat([cipher.update(formatMasterKeys(keys), 'utf8'), cipher.final()]);
  return {
    kdf: 'scrypt',
    cost,
    blockSize,
    parallelism,
    salt: salt.toString('base64'),
    nonce: nonce.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

export async function openSealedMasterKeys(
  sealed: SealedMasterKeyFields,
  passphrase: string,
): Promise<MasterKey[]> {
  // A manifest could ask for any cost; refuse ones that would exhaust memory or never end.
  if (sealed.cost > 2 ** 20 || sealed.blockSize > 32 || sealed.parallelism > 16) {
    throw new OperationError(operationMessages.wrongPassphrase);
  }
  const key = await deriveKey(passphrase, Buffer.from(sealed.salt, 'base64'), sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.nonce, 'base64'));
  decipher.setAAD(Buffer.from(label));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  let text: string;
  try {
    text = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new OperationError(operationMessages.wrongPassphrase);
  }
  return parseMasterKeys(text, 'the master key sealed in the backup');
}

/** HMAC-SHA256 of a fixed label under the key: tells keys apart without revealing them. */
export function masterKeyCheck(key: MasterKey): string {
  return createHmac('sha256', key.key).update('keyhold backup master key check v1').digest('hex');
}
