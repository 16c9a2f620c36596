/**
 * The one error type every BitLocker reader throws for input it cannot use. Callers (the CLI,
 * the server, importers) catch this type to tell "bad input" from a bug; `code` is a stable
 * machine-readable reason and `message` is written for the person who supplied the input.
 */
export class BitLockerFormatError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
