import { MasterKeyError } from '../crypto/master-key.js';
import { DataDirError } from '../db/data-dir.js';
import { MigrationError } from '../db/migrate.js';
import { OperationError } from '../operations/messages.js';
import { say } from '../text/terminal-language.js';
import { CliError, ExitCode } from './output.js';
import { serverMessages } from './server/messages.js';

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
    return new CliError(say(error.wording), ExitCode.environment);
  }
  if (error instanceof OperationError)
    return new CliError(say(error.wording), ExitCode.environment);
  if (error instanceof Error && 'code' in error) {
    const code = String(error.code);
    if (/^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EACCES|EROFS|ENOSPC|28P01|3D000|SQLITE_)/.test(code)) {
      return new CliError(
        say(serverMessages.cannotOpenDatabase(error.message)),
        ExitCode.environment,
      );
    }
  }
  return error;
}

/** Why `keyhold serve` could not take its address (the port is taken, or needs privileges). */
export function listenFailure(error: unknown): CliError | undefined {
  const failure = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(error instanceof Error) || failure.syscall !== 'listen') return undefined;
  const where = `${failure.address ?? ''}:${failure.port ?? ''}`;
  const reason =
    failure.code === 'EADDRINUSE'
      ? say(serverMessages.portTaken)
      : failure.code === 'EACCES'
        ? say(serverMessages.portNeedsAdministrator)
        : failure.code === 'EADDRNOTAVAIL'
          ? say(serverMessages.noSuchAddress)
          : (failure.code ?? failure.message);
  return new CliError(say(serverMessages.cannotListen(where, reason)), ExitCode.environment);
}
