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

/**
 * The target file exists and holds another recovery key: another protector's, or (for the same
 * Key ID) a different recovery password, which means one of the two is wrong or outdated.
 */
export class DifferentKeyFileError extends BackupError {
  constructor(
    readonly path: string,
    readonly existingProtectorIds: readonly string[],
    protectorId: string,
  ) {
    const holds = existingProtectorIds.includes(protectorId)
      ? `a different recovery password for the same Key ID ${protectorId}, so one of them is wrong or outdated`
      : `the recovery key for Key ID ${existingProtectorIds.join(', ')}, not ${protectorId}`;
    super(
      'different-key',
      `${path} already holds ${holds}. Nothing was overwritten; choose another file name or folder.`,
    );
  }
}
