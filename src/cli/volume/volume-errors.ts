import { BitLockerFormatError } from '../../bitlocker/errors.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import { openImageSource, type ImageSource } from './image-source.js';
import { volumeMessages } from './messages.js';

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** Turns what can go wrong with a volume into one line for the person, with the exit code. */
export function volumeCliError(path: string, error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof BitLockerFormatError) {
    return new CliError(`${path}: ${say(error.wording)}`, ExitCode.unusable);
  }
  if (isErrno(error)) {
    return new CliError(
      say(volumeMessages.readingFailed(path, error.code ?? '')),
      ExitCode.environment,
    );
  }
  return error;
}

/** Opens an image or device read-only for `work`, closes it, and reports failures plainly. */
export async function withImage<T>(
  path: string,
  work: (source: ImageSource) => Promise<T>,
): Promise<T> {
  const source = await openImageSource(path);
  try {
    return await work(source);
  } catch (error) {
    throw volumeCliError(path, error);
  } finally {
    await source.close();
  }
}
