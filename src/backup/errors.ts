/** Why a backup destination could not take the key; stable, for callers to branch on. */
export type BackupErrorCode =
  | 'different-key'
  | 'not-a-recovery-file'
  | 'protected-volume'
  | 'no-such-folder'
  | 'write-failed'
  | 'verify-failed'
  | 'invalid-input'
  | 'lp-missing'
  | 'print-failed'
  | 'drive-listing-failed';

/**
 * The one error type the backup destinations throw for a failure the person can act on. `message`
 * is written for them and never holds a recovery password; `code` is for callers (the CLI picks
 * its exit status from it).
 */
export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The target file exists and holds the recovery key of another protector. */
export class DifferentKeyFileError extends BackupError {
  constructor(
    readonly path: string,
    readonly existingProtectorIds: readonly string[],
  ) {
    super(
      'different-key',
      `${path} already holds the recovery key for Key ID ${existingProtectorIds.join(', ')}, not this one. Nothing was overwritten; choose another file name or folder.`,
    );
  }
}
