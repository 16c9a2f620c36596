/**
 * Text forms that searches compare: device names and their words, Key ID prefixes, and the upper
 * end of a prefix range (`>= prefix and < successor` finds every string starting with `prefix`
 * on an index, on SQLite and PostgreSQL alike).
 */

/** NFKC, trimmed, inner whitespace collapsed, lower case: how device names are compared. */
export function normalizeName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The whole normalized name and each word in it: what a device-name search can start with. */
export function nameTerms(name: string): string[] {
  const whole = normalizeName(name);
  const words = whole.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
  return [...new Set([whole, ...words])];
}

/**
 * The smallest string greater than every string that starts with `prefix`: the prefix with its
 * last character replaced by the next code point. Byte-wise (UTF-8) order equals code point
 * order, so this holds for SQLite's BINARY and PostgreSQL's "C" collation. Undefined when no
 * such string exists (a prefix of only U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  // Code points, not UTF-16 units: the successor must be a well-formed string.
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()?.codePointAt(0) ?? 0;
    let next = last + 1;
    // Skip the surrogate range, which no well-formed string contains.
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return codePoints.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
