import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/**
 * Sealing a recovery secret to an organisation's escrow public key (X25519): an ephemeral key
 * agreement, HKDF-SHA256 and AES-256-GCM, bound to the Key ID it belongs to. The agent seals a
 * new key the moment it makes it and keeps only the sealed form until the server confirms it is
 * stored, so a key the server never heard of survives a crash or a long time offline, and the
 * agent's state file gives nobody the password. Only the server, holding the private half as a
 * sealed secret, opens it. The seal is bound to the enrolled device it came from, so a sealed
 * secret sent by another device does not open.
 *
 * Layout: version (1) | ephemeral public key (32) | nonce (12) | ciphertext | tag (16).
 */

const version = 1;
const info = Buffer.from('keyhold escrow seal v1', 'utf8');

export interface EscrowKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

export function generateEscrowKeyPair(): EscrowKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function rawPublic(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an X25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

function dataKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), info, 32));
}

function associatedData(enrolledDeviceId: string): Buffer {
  return Buffer.from(`keyhold-escrow:${enrolledDeviceId}`, 'utf8');
}

/** Seals `secret` for the holder of the escrow private key; base64url. */
export function sealForEscrow(
  publicKeyPem: string,
  enrolledDeviceId: string,
  secret: string,
): string {
  const recipient = createPublicKey(publicKeyPem);
  const ephemeral = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const ephemeralRaw = rawPublic(ephemeral.publicKey);
  const key = dataKey(shared, ephemeralRaw, rawPublic(recipient));
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(enrolledDeviceId));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([
    Buffer.from([version]),
    ephemeralRaw,
    nonce,
    ciphertext,
    cipher.getAuthTag(),
  ]).toString('base64url');
}

/**
 * Opens sealed secrets with one escrow private key: the key is parsed once (reading a PEM costs
 * about a millisecond), then each secret costs one X25519 agreement and one AES-GCM decryption.
 * The opener answers undefined for a secret that was not sealed to this key by that device.
 */
export function escrowSealOpener(
  privateKeyPem: string,
): (enrolledDeviceId: string, sealed: string) => string | undefined {
  const privateKey = createPrivateKey(privateKeyPem);
  const recipientRaw = rawPublic(createPublicKey(privateKey));
  return (enrolledDeviceId, sealed) => {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < 1 + 32 + 12 + 16 + 1 || bytes[0] !== version) return undefined;
    try {
      const ephemeralRaw = bytes.subarray(1, 33);
      const nonce = bytes.subarray(33, 45);
      const tag = bytes.subarray(bytes.length - 16);
      const ciphertext = bytes.subarray(45, bytes.length - 16);
      const ephemeral = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: ephemeralRaw.toString('base64url') },
        format: 'jwk',
      });
      const shared = diffieHellman({ privateKey, publicKey: ephemeral });
      const key = dataKey(shared, ephemeralRaw, recipientRaw);
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(associatedData(enrolledDeviceId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  };
}
