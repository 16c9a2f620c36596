import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The signed assertion an enrolled device proves itself with, in the shape of RFC 7523 private
 * key JWT client authentication: a compact JWS (EdDSA over Ed25519) whose claims name the device
 * (`iss`, `sub`), the token endpoint (`aud`), the server's one-time challenge (`jti`) and a short
 * life (`iat`, `exp`). Only the public key ever leaves the device.
 */

export const assertionAlgorithm = 'EdDSA';
/** RFC 7523 section 2.2: the client assertion type of a signed JWT. */
export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

export interface AssertionClaims {
  iss: string;
  sub: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface DeviceKeyPair {
  privateKeyPem: string;
  publicJwk: PublicJwk;
}

export function generateDeviceKeyPair(): DeviceKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicJwk: publicJwkOf(publicKey),
  };
}

function publicJwkOf(publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error('the device key is not an Ed25519 key');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function signAssertion(privateKeyPem: string, claims: AssertionClaims): string {
  const signingInput = `${base64urlJson({ alg: assertionAlgorithm, typ: 'JWT' })}.${base64urlJson(claims)}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKeyPem);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/**
 * Why an assertion could not be read; the server words each the same way to the client. A bad
 * signature is found later, by `verifyWith`, once the device is known.
 */
export type AssertionProblem = 'malformed' | 'algorithm';

export type ReadAssertion =
  | { ok: true; claims: AssertionClaims; verifyWith: (key: KeyObject) => boolean }
  | { ok: false; problem: AssertionProblem };

function claimsOf(value: unknown): AssertionClaims | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const claims = value as Record<string, unknown>;
  const texts = ['iss', 'sub', 'aud', 'jti'] as const;
  const numbers = ['iat', 'exp'] as const;
  if (!texts.every((name) => typeof claims[name] === 'string')) return undefined;
  if (!numbers.every((name) => Number.isInteger(claims[name]))) return undefined;
  return claims as unknown as AssertionClaims;
}

/**
 * Reads an assertion's header and claims; the signature is checked later with `verifyWith`,
 * once the device the claims name has been looked up.
 */
export function readAssertion(compact: string): ReadAssertion {
  const parts = compact.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) {
    return { ok: false, problem: 'malformed' };
  }
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  let header: unknown;
  let claims: AssertionClaims | undefined;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = claimsOf(JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')));
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (!claims) return { ok: false, problem: 'malformed' };
  // Only the one algorithm devices are enrolled with: no "none", no downgrade.
  if ((header as { alg?: unknown } | null)?.alg !== assertionAlgorithm) {
    return { ok: false, problem: 'algorithm' };
  }
  const signingInput = Buffer.from(`${headerPart}.${claimsPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  return {
    ok: true,
    claims,
    verifyWith: (key) => {
      try {
        return verify(null, signingInput, key, signature);
      } catch {
        return false;
      }
    },
  };
}

/** The key object of an enrolled device's public key (parse once, verify many times). */
export function publicKeyOf(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

/** Whether a JWK a device sent is an Ed25519 public key (and nothing more). */
export function isPublicJwk(value: unknown): value is PublicJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') return false;
  if ('d' in jwk) return false;
  try {
    return (
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
        .asymmetricKeyType === 'ed25519'
    );
  } catch {
    return false;
  }
}
