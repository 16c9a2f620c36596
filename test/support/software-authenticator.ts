import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A WebAuthn authenticator in software, for server tests that need real attestations and
 * assertions (the browser tests use Chromium's virtual authenticator instead). It holds
 * discoverable P-256 credentials, verifies its user and answers in the JSON form browsers send.
 */

interface HeldCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  signCount: number;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

const flags = { userPresent: 0x01, userVerified: 0x04, attestedData: 0x40 };

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function counter(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export class SoftwareAuthenticator {
  readonly credentials: HeldCredential[] = [];
  /** When false the authenticator reports presence without user verification. */
  verifiesUser = true;

  constructor(readonly origin: string) {}

  private flagByte(extra = 0): number {
    return flags.userPresent | (this.verifiesUser ? flags.userVerified : 0) | extra;
  }

  create(options: CreationOptions) {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]);
    const id = randomBytes(32);
    const credential: HeldCredential = {
      id,
      privateKey,
      userHandle: options.user.id,
      rpId,
      signCount: 0,
    };
    this.credentials.push(credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      createHash('sha256').update(rpId).digest(),
      Buffer.from([this.flagByte(flags.attestedData)]),
      counter(0),
      Buffer.alloc(16),
      idLength,
      id,
      Buffer.from(isoCBOR.encode(coseKey)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as never,
    );
    return {
      id: id.toString('base64url'),
      rawId: id.toString('base64url'),
      type: 'public-key' as const,
      response: {
        clientDataJSON: clientData('webauthn.create', options.challenge, this.origin).toString(
          'base64url',
        ),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal' as const],
      },
      clientExtensionResults: {},
    };
  }

  /** Signs the challenge with the first held credential the options allow (any, if none named). */
  get(options: RequestOptions, overrides: { origin?: string; challenge?: string } = {}) {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find(
      (held) => allowed.size === 0 || allowed.has(held.id.toString('base64url')),
    );
    if (!credential) throw new Error('no credential for these options');
    credential.signCount += 1;
    const authData = Buffer.concat([
      createHash('sha256')
        .update(options.rpId ?? credential.rpId)
        .digest(),
      Buffer.from([this.flagByte()]),
      counter(credential.signCount),
    ]);
    const data = clientData(
      'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, createHash('sha256').update(data).digest()]),
      credential.privateKey,
    );
    return {
      id: credential.id.toString('base64url'),
      rawId: credential.id.toString('base64url'),
      type: 'public-key' as const,
      response: {
        clientDataJSON: data.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
    };
  }
}
