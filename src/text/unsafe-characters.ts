/**
 * Characters that act on the screen instead of showing themselves: the C0 controls (NUL, BEL, the
 * ESC that starts ANSI escape sequences), DEL, the C1 controls (U+0080 to U+009F, a one-character
 * CSI among them), and the bidirectional embeddings, overrides and isolates (U+202A to U+202E,
 * U+2066 to U+2069) that make text after them read in another order than it is stored. No name a
 * person gives a device, drive or organisation needs any of them. Pure: no I/O.
 */
const unsafeCharacter = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
/** The same, except tab, line feed and carriage return, for free text that may span lines. */
const unsafeInMultilineText = /[^\P{Cc}\t\n\r]|[\u202A-\u202E\u2066-\u2069]/u;

/** True when `text` holds a character no name may hold (line breaks allowed on request). */
export function hasUnsafeCharacters(text: string, { multiline = false } = {}): boolean {
  return (multiline ? unsafeInMultilineText : unsafeCharacter).test(text);
}

/**
 * Everything a terminal would act on, plus the line and paragraph separators (U+2028, U+2029)
 * some terminals break lines at: what `escapeForTerminal` replaces.
 */
const nonPrintable = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/**
 * `text` with every non-printable character written as an escape (`\x1b`, `\u202e`), so text
 * someone else chose (a device name, a file name, a server's answer) prints as the characters
 * it holds and can neither move the cursor, recolour, retitle nor reorder what the terminal
 * shows. Printable text, any script, comes out unchanged.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(nonPrintable, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
