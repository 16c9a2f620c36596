import { Buffer as BrowserBuffer } from 'buffer';

/**
 * src/bitlocker is shared with the server and uses Node's global Buffer for the 16-byte key it
 * computes alongside its checks. Browsers have no Buffer, so the web app provides the
 * npm implementation of the same API before that code runs.
 */
const scope = globalThis as { Buffer?: unknown };
scope.Buffer ??= BrowserBuffer;
