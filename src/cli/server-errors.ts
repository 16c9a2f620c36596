import { MasterKeyError } from '../crypto/master-key.js';
import { DataDirError } from '../db/data-dir.js';
import { MigrationError } from '../db/migrate.js';
import { CliError, ExitCode } from './output.js';

/**
 * Turns failures to reach the data (an unusable data folder, database down, master key missing
 * or wrong, a migration refused) into one-line messages with exit code 3; anything else stays a bug with a stack.
 */
export function asCliError(error: unknown): unknown {
  if (
    error instanceof DataDirError ||
    error instanceof MasterKeyError ||
    error instanceof MigrationError
  ) {
    return new CliError(error.message, ExitCode.environment);
  }
  if (error instanceof Error && 'code' in error) {
    const code = String(error.code);
    if (/^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EACCES|EROFS|ENOSPC|28P01|3D000|SQLITE_)/.test(code)) {
      return new CliError(`cannot open the database: ${error.message}`, ExitCode.environment);
    }
  }
  return error;
}
