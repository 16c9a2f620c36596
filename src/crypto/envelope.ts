import { createCipheriv, createDecipheriv } from 'node:crypto';
import { secureRandomBytes } from './random-pool.js';
import { ownerLabel, type Owner } from '../db/owners.js';
import type { MasterKey } from './master-key.js';

/**
 * Envelope encryption: every secret gets its own random 256-bit data key (AES-256-GCM); the data
 * key is stored wrapped (AES-256-GCM again) by a master key that never enters the database.
 *
 * Both layers carry associated data naming the secret's row, what it belongs to and its owner,
 * so a ciphertext copied to another row, or a row handed to another owner, no longer opens.
 */
export interface SecretBinding {
  /** The sealed_secrets row id. */
  secretId: string;
  /** What the secret is, e.g. `recovery_password`, `totp`. */
  kind: string;
  /** The id of the row the secret belongs to (a recovery key, a user). */
  boundId: string;
  /** Undefined for the server's own secrets. */
  owner: Owner | undefined;
}

export interface SealedValue {
  keyVersion: number;
  /** iv (12) | tag (16) | encrypted data key (32) */
  wrappedKey: Buffer;
  /** iv (12) | tag (16) | encrypted secret */
  ciphertext: Buffer;
}

/** Opening failed: wrong key, tampered bytes, or a ciphertext moved to another row or owner. */
export class SecretIntegrityError extends Error {
  override name = 'SecretIntegrityError';
}

const ivBytes = 12;
const tagBytes = 16;

function associatedData(binding: SecretBinding, layer: string): Buffer {
  return Buffer.from(
    [
      'keyhold sealed secret v1',
      layer,
      binding.secretId,
      binding.kind,
      binding.boundId,
      ownerLabel(binding.owner),
    ].join('\n'),
    'utf8',
  );
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = secureRandomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < ivBytes + tagBytes) throw new SecretIntegrityError('ciphertext too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivBytes));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(ivBytes, ivBytes + tagBytes));
    return Buffer.concat([decipher.update(sealed.subarray(ivBytes + tagBytes)), decipher.final()]);
  } catch {
    throw new SecretIntegrityError(
      'a sealed secret failed its integrity check (wrong master key, or the row was altered)',
    );
  }
}

function keyAad(binding: SecretBinding, keyVersion: number): Buffer {
  return associatedData(binding, `data key under master key ${keyVersion}`);
}

export function sealValue(
  masterKey: MasterKey,
  binding: SecretBinding,
  plaintext: Buffer,
): SealedValue {
  const dataKey = secureRandomBytes(32);
  try {
    return {
      keyVersion: masterKey.version,
      wrappedKey: encrypt(masterKey.key, dataKey, keyAad(binding, masterKey.version)),
      ciphertext: encrypt(dataKey, plaintext, associatedData(binding, 'payload')),
    };
  } finally {
    dataKey.fill(0);
  }
}

export function openValue(
  masterKey: MasterKey,
  binding: SecretBinding,
  sealed: SealedValue,
): Buffer {
  const dataKey = decrypt(masterKey.key, sealed.wrappedKey, keyAad(binding, sealed.keyVersion));
  try {
    return decrypt(dataKey, sealed.ciphertext, associatedData(binding, 'payload'));
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps the data key under another master key; the ciphertext itself is untouched. */
export function rewrapValue(
  from: MasterKey,
  to: MasterKey,
  binding: SecretBinding,
  sealed: SealedValue,
): SealedValue {
  const dataKey = decrypt(from.key, sealed.wrappedKey, keyAad(binding, sealed.keyVersion));
  try {
    return {
      keyVersion: to.version,
      wrappedKey: encrypt(to.key, dataKey, keyAad(binding, to.version)),
      ciphertext: sealed.ciphertext,
    };
  } finally {
    dataKey.fill(0);
  }
}
