/**
 * Turns the bytes of a text file into a string whatever Windows tool wrote it: Notepad and
 * BitLocker write UTF-16LE with a BOM, PowerShell 5.1 redirection writes UTF-16LE, PowerShell 7
 * and most editors write UTF-8, old consoles write an 8-bit code page.
 */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

/** How many leading bytes are enough to tell the encoding and whether it is text at all. */
const sampleSize = 4096;

function nulShare(bytes: Uint8Array, parity: 0 | 1): number {
  const end = Math.min(bytes.length, sampleSize) & ~1;
  if (end === 0) return 0;
  let nuls = 0;
  for (let i = parity; i < end; i += 2) if (bytes[i] === 0) nuls++;
  return nuls / (end / 2);
}

function guessEncoding(bytes: Uint8Array): { encoding: TextEncodingName; bomLength: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: 'utf-8', bomLength: 3 };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  // Text in UTF-16 without a BOM is mostly ASCII: every other byte is zero.
  const evenNuls = nulShare(bytes, 0);
  const oddNuls = nulShare(bytes, 1);
  if (oddNuls > 0.4 && evenNuls < 0.05) return { encoding: 'utf-16le', bomLength: 0 };
  if (evenNuls > 0.4 && oddNuls < 0.05) return { encoding: 'utf-16be', bomLength: 0 };
  return { encoding: 'utf-8', bomLength: 0 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeText(bytes: Uint8Array): DecodedText {
  const { encoding, bomLength } = guessEncoding(bytes);
  const body = bytes.subarray(bomLength);
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    return { text: new TextDecoder(encoding).decode(body), encoding };
  }
  try {
    return { text: utf8.decode(body), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: an 8-bit code page. IDs and digits are ASCII in all of them.
    return { text: new TextDecoder('latin1').decode(body), encoding: 'latin1' };
  }
}

/**
 * Whether decoded text reads as text: almost no control characters other than line breaks and
 * tabs. Binary data decoded as Latin-1 or UTF-16 is full of them.
 */
export function looksLikeText(text: string): boolean {
  const sample = text.slice(0, sampleSize);
  if (sample.length === 0) return false;
  let control = 0;
  for (const char of sample) {
    const code = char.codePointAt(0) ?? 0;
    if (
      (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r' && char !== '\f') ||
      code === 0xfffd ||
      (code >= 0x7f && code < 0xa0)
    ) {
      control++;
    }
  }
  return control / sample.length < 0.02;
}
