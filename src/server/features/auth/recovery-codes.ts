import { randomInt } from 'node:crypto';
import { sha256Hex } from '../../../crypto/tokens.js';

/** Crockford's base32 in lower case: no i, l, o or u, so codes survive being read aloud. */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
export const recoveryCodeCount = 10;

/** A code like `4f7k-q2mz-x9cd`: 60 random bits, plenty behind the sign-in rate limits. */
export function newRecoveryCode(): string {
  const characters = Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]);
  const text = characters.join('');
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8)}`;
}

/** Accepts what people type: any case, spaces or dashes, and o/i/l for 0/1. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '').replaceAll('o', '0').replace(/[il]/g, '1');
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(`keyhold recovery code\n${normalizeRecoveryCode(code)}`);
}
