import { z } from 'zod';
import { hasUnsafeCharacters } from '../text/unsafe-characters.js';
import { invalidCharactersCode } from './errors.js';

/**
 * Text people name things with (devices, drives, organisations, themselves) is shown back in the
 * web app, on printed sheets and in terminals, so it may not carry characters that act on the
 * screen: control characters (escape sequences among them) and text-direction overrides. One
 * rule; a refusal answers the error code `invalid_characters` (errors.ts), which the web app
 * words in its own languages.
 */

const refusal = {
  message: 'remove control characters and text-direction overrides',
  params: { reason: invalidCharactersCode },
};
const multilineRefusal = {
  message:
    'remove control characters (other than line breaks and tabs) and text-direction overrides',
  params: { reason: invalidCharactersCode },
};

/** A name or other one-line text: no control characters, no bidi overrides or isolates. */
export function plainText<T extends z.ZodString>(schema: T): T {
  return schema.refine((text) => !hasUnsafeCharacters(text), refusal);
}

/** Free text that may span lines (a comment, a note): tabs and line breaks are allowed. */
export function plainMultilineText<T extends z.ZodString>(schema: T): T {
  return schema.refine((text) => !hasUnsafeCharacters(text, { multiline: true }), multilineRefusal);
}
