import { createHash, timingSafeEqual } from 'node:crypto';
import { parseProtectorId } from '../protector-id.js';
import { recoveryPasswordToKey } from '../recovery-password.js';
import { decryptAesCcm } from './aes-ccm.js';
import type { Wording } from '../../text/wording.js';
import { VolumeFormatError } from './errors.js';
import { volumeFormatMessages } from './messages.js';
import type {
  EncryptedBlob,
  FveMetadata,
  VolumeProtector,
  VolumeProtectorType,
} from './metadata.js';
import { portableCrypto, type VolumeCrypto } from './volume-crypto.js';

/** What a person can give Keyhold to open a volume. */
export type VolumeSecret =
  | { kind: 'recovery-password'; password: string }
  | { kind: 'password'; password: string }
  | { kind: 'startup-key'; keyId: string; key: Uint8Array }
  | { kind: 'clear-key' };

export interface VolumeKeys {
  protector: VolumeProtector;
  vmk: Buffer;
  /** The full-volume encryption key, as stored (method-specific layout). */
  fvek: Buffer;
}

/** Which protectors a secret can open, by type. */
export const protectorTypeForSecret: Readonly<Record<VolumeSecret['kind'], VolumeProtectorType>> = {
  'recovery-password': 'recovery-password',
  password: 'password',
  'startup-key': 'startup-key',
  'clear-key': 'clear-key',
};

const keyDatumHeaderSize = 12;
const vmkSize = 32;
const hashSize = 32;

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * The key that decrypts a protector's VMK, from the secret. Derivation stretches are cached by
 * salt: every metadata copy repeats the same protectors, and a stretch costs half a second.
 */
export class ProtectorKeyDeriver {
  private readonly stretched = new Map<string, Buffer>();
  private readonly initialHash: Buffer | undefined;

  constructor(
    private readonly secret: VolumeSecret,
    private readonly stretchKey: VolumeCrypto['stretchKey'] = portableCrypto.stretchKey,
  ) {
    if (secret.kind === 'recovery-password') {
      this.initialHash = sha256(recoveryPasswordToKey(secret.password));
    } else if (secret.kind === 'password') {
      this.initialHash = sha256(sha256(Buffer.from(secret.password, 'utf16le')));
    }
  }

  /** The protectors of a metadata copy this secret may open, the most likely first. */
  candidates(metadata: FveMetadata): VolumeProtector[] {
    const type = protectorTypeForSecret[this.secret.kind];
    const matching = metadata.protectors.filter((p) => p.type === type && p.encryptedVmk);
    if (this.secret.kind !== 'startup-key') return matching;
    const wanted = parseProtectorId(this.secret.keyId);
    return [...matching.filter((p) => p.id === wanted), ...matching.filter((p) => p.id !== wanted)];
  }

  keyFor(protector: VolumeProtector): Uint8Array | undefined {
    switch (this.secret.kind) {
      case 'clear-key':
        return protector.clearKey;
      case 'startup-key':
        return this.secret.key;
      case 'recovery-password':
      case 'password': {
        if (!protector.salt || !this.initialHash) return undefined;
        const saltKey = Buffer.from(protector.salt).toString('hex');
        let key = this.stretched.get(saltKey);
        if (!key) {
          key = Buffer.from(this.stretchKey(this.initialHash, protector.salt));
          this.stretched.set(saltKey, key);
        }
        return key;
      }
    }
  }
}

/** A decrypted key datum: u16 size, u16 type, u16 value type, u16 version, u32 method, key. */
function keyFromDatum(plaintext: Buffer, what: Wording, minimumKeySize: number): Buffer {
  const size = plaintext.length >= 2 ? plaintext.readUInt16LE(0) : 0;
  if (size > plaintext.length || size < keyDatumHeaderSize + minimumKeySize) {
    throw new VolumeFormatError(
      'bad-key-datum',
      volumeFormatMessages.keyDatumMalformed(what, size, plaintext.length),
    );
  }
  return plaintext.subarray(keyDatumHeaderSize, size);
}

/** Decrypts the VMK with a protector key; undefined when the key is wrong (the CCM tag fails). */
export function decryptVmk(protector: VolumeProtector, key: Uint8Array): Buffer | undefined {
  if (!protector.encryptedVmk || key.length !== 32) return undefined;
  const plaintext = decryptAesCcm(key, protector.encryptedVmk);
  if (!plaintext) return undefined;
  return keyFromDatum(plaintext, volumeFormatMessages.volumeMasterKey, vmkSize).subarray(
    0,
    vmkSize,
  );
}

const fvekSizes: Readonly<Record<number, number>> = {
  0x8000: 64,
  0x8001: 64,
  0x8002: 16,
  0x8003: 32,
  0x8004: 32,
  0x8005: 64,
};

function decryptWithVmk(vmk: Uint8Array, blob: EncryptedBlob, what: Wording): Buffer {
  const plaintext = decryptAesCcm(vmk, blob);
  if (!plaintext) {
    throw new VolumeFormatError('metadata-tampered', volumeFormatMessages.notOpenedByVmk(what));
  }
  return plaintext;
}

export function decryptFvek(metadata: FveMetadata, vmk: Uint8Array): Buffer {
  if (!metadata.fvek) {
    throw new VolumeFormatError('no-fvek', volumeFormatMessages.noFvek);
  }
  const size = fvekSizes[metadata.encryptionMethodCode] ?? 16;
  return keyFromDatum(
    decryptWithVmk(vmk, metadata.fvek, volumeFormatMessages.volumeEncryptionKey),
    volumeFormatMessages.fvek,
    size,
  );
}

/**
 * Checks the metadata copy against its integrity hash: SHA-256 of the CRC-covered bytes,
 * encrypted with the VMK. Only someone holding the VMK could have written a matching hash.
 */
export function metadataIntegrityMatches(metadata: FveMetadata, vmk: Uint8Array): boolean {
  if (!metadata.integrityHash) return false;
  const stored = keyFromDatum(
    decryptWithVmk(vmk, metadata.integrityHash, volumeFormatMessages.integrityHash),
    volumeFormatMessages.integrityHash,
    hashSize,
  ).subarray(0, hashSize);
  return timingSafeEqual(stored, sha256(metadata.protectedBytes));
}
