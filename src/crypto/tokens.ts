import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random, URL-safe token with `bytes` bytes of entropy (256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens and codes are stored as their SHA-256: a database leak does not hand out sessions. */
export function sha256Hex(text: string): string {
  // The one-shot hash: every signed-in request hashes its cookie, and it skips a Hash object.
  return hash('sha256', text, 'hex');
}

export function hmacSha256Hex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** Compares two strings in time that does not depend on where they differ (hashing first evens the lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = hash('sha256', a, 'buffer');
  const right = hash('sha256', b, 'buffer');
  return timingSafeEqual(left, right);
}
