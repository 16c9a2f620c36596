import type { Wording } from '../text/wording.js';

/**
 * The one error type every BitLocker reader throws for input it cannot use. Callers (the CLI,
 * the server, importers) catch this type to tell "bad input" from a bug; `code` is a stable
 * machine-readable reason and `wording` is written for the person who supplied the input, in
 * English and Bokmål (`message` is the English, for logs and scripts).
 */
export class BitLockerFormatError extends Error {
  constructor(
    readonly code: string,
    readonly wording: Wording,
    options?: ErrorOptions,
  ) {
    super(wording.en, options);
    this.name = new.target.name;
  }
}
