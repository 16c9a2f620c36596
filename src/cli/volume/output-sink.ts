import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createAtomicFile, type AtomicFile } from '../../files/atomic-file.js';
import { CliError, ExitCode } from '../output.js';

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
    throw new CliError(
      'Refusing to write a volume image to the terminal: redirect standard output (> file, | command) or give --out FILE.',
    );
  }
  return {
    toStdout: true,
    name: 'standard output',
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
    throw new CliError(`${path} is a folder; give --out the name of the image file to write.`);
  }
  if (existing && !force) {
    throw new CliError(
      `${path} already exists. Choose another --out, or add --force to replace it.`,
    );
  }
  if (existing && !existing.isFile()) {
    throw new CliError(`${path} is not a regular file; Keyhold writes images to files or "-".`);
  }
  let file: AtomicFile;
  try {
    file = await createAtomicFile(path, { replace: existing !== undefined });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') throw missingFolderError(path);
    throw new CliError(`Cannot write to ${dirname(path)} (${code}).`, ExitCode.environment);
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
        throw new CliError(
          `${path} appeared while the volume was being decrypted; nothing was replaced. Choose another --out, or add --force to replace it.`,
        );
      }
    },
    abort: () => file.abort(),
  };
}

function missingFolderError(out: string): CliError {
  return new CliError(
    `--out ${out}: the folder ${dirname(out)} does not exist. Create it first, or choose another --out.`,
  );
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
    throw new CliError(`--out ${out}: ${dirname(out)} is not a folder. Choose another --out.`);
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
    throw new CliError(
      `--out ${out} is the volume being read; write the decrypted image elsewhere.`,
    );
  }
  return fileSink(out, force);
}
