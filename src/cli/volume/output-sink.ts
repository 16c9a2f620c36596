import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createAtomicFile, type AtomicFile } from '../../files/atomic-file.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import { volumeMessages } from './messages.js';

/** Where decrypted bytes go. Nothing is left behind unless `commit` runs. */
export interface OutputSink {
  /** Resolves once `chunk` is written and may be reused. */
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** True when the output is standard output (messages then go to standard error). */
  readonly toStdout: boolean;
  /**
   * For a file: its open descriptor, where bytes may also be written at their offsets
   * (pwrite), in any order, instead of in order through `write`.
   */
  readonly fd?: number;
  /**
   * For standard output: its descriptor, where bytes may also be written in order by other
   * means than `write` (the native addon), when nothing was written through `write` before.
   */
  readonly orderedFd?: number;
  readonly name: string;
}

function stdoutSink(): OutputSink {
  if (process.stdout.isTTY) {
    throw new CliError(say(volumeMessages.refuseTerminal));
  }
  return {
    toStdout: true,
    name: say(volumeMessages.standardOutput),
    orderedFd: 1,
    write: (chunk) =>
      new Promise((resolve, reject) => {
        process.stdout.write(chunk, (error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/** The file appears under its name only when complete (see createAtomicFile). */
async function fileSink(path: string, force: boolean): Promise<OutputSink> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new CliError(say(volumeMessages.outIsFolder(path)));
  }
  if (existing && !force) {
    throw new CliError(say(volumeMessages.outExists(path)));
  }
  if (existing && !existing.isFile()) {
    throw new CliError(say(volumeMessages.outNotRegular(path)));
  }
  let file: AtomicFile;
  try {
    file = await createAtomicFile(path, { replace: existing !== undefined });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') throw missingFolderError(path);
    throw new CliError(
      say(volumeMessages.cannotWriteFolder(dirname(path), code)),
      ExitCode.environment,
    );
  }
  return {
    toStdout: false,
    name: path,
    fd: file.fd,
    write: (chunk) => file.write(chunk),
    async commit() {
      try {
        await file.commit();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        throw new CliError(say(volumeMessages.outAppeared(path)));
      }
    },
    abort: () => file.abort(),
  };
}

function missingFolderError(out: string): CliError {
  return new CliError(say(volumeMessages.outFolderMissing(out, dirname(out))));
}

/**
 * Fails before any work when `--out` names a file in a folder that is not there, so a
 * mistyped path is reported at once rather than after the key has been checked.
 */
export async function assertOutputFolderExists(out: string): Promise<void> {
  if (out === '-') return;
  const folder = await stat(dirname(out)).catch(() => undefined);
  if (!folder) throw missingFolderError(out);
  if (!folder.isDirectory()) {
    throw new CliError(say(volumeMessages.outFolderNotFolder(out, dirname(out))));
  }
}

/** Opens `--out`, refusing to overwrite the volume being read. */
export async function openOutputSink(
  out: string,
  force: boolean,
  sourcePath: string,
): Promise<OutputSink> {
  if (out === '-') return stdoutSink();
  const [target, source] = await Promise.all([
    stat(out).catch(() => undefined),
    stat(sourcePath).catch(() => undefined),
  ]);
  if (target && target.dev === source?.dev && target.ino === source.ino) {
    throw new CliError(say(volumeMessages.outIsSource(out)));
  }
  return fileSink(out, force);
}
