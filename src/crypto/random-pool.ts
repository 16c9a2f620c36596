import { randomFillSync } from 'node:crypto';

/** Refilled from the system's secure generator once used up; every byte is handed out once. */
const pool = Buffer.alloc(8192);
let used = pool.length;

/**
 * Fresh secure random bytes, drawn from a pool filled by the operating system's generator in
 * large blocks. Each call to the generator costs a few microseconds however few bytes it returns,
 * and storing one key asks for a dozen small pieces (ids, IVs, data keys).
 */
export function secureRandomBytes(length: number): Buffer {
  if (length > pool.length) return randomFillSync(Buffer.alloc(length));
  if (used + length > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + length));
  // Handed-out bytes are wiped from the pool, so a later heap dump cannot show them.
  pool.fill(0, used, used + length);
  used += length;
  return bytes;
}
