import { Buffer } from 'buffer';

/**
 * Stands in for `node:crypto` in the web bundle (see vite.config.ts): the shared BitLocker code
 * imports randomBytes to generate recovery passwords, which the browser does with Web Crypto.
 */
export function randomBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  crypto.getRandomValues(bytes);
  return bytes;
}
