import type { Wording } from '../text/wording.js';
import { backupErrorMessages } from './messages.js';

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
 * The one error type the backup destinations throw for a failure the person can act on.
 * `wording` is written for them, in English and Bokmål, and never holds a recovery password
 * (`message` is its English); `code` is for callers (the CLI picks its exit status from it).
 */
export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    readonly wording: Wording,
    options?: ErrorOptions,
  ) {
    super(wording.en, options);
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
      ? backupErrorMessages.holdsOtherPassword(protectorId)
      : backupErrorMessages.holdsOtherKey(existingProtectorIds.join(', '), protectorId);
    super('different-key', backupErrorMessages.alreadyHoldsAnother(path, holds));
  }
}
