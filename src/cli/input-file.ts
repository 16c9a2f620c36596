/**
 * The one way the CLI opens a file a person named (a key file, a .BEK file, a volume image or
 * device), with one wording for every reason it cannot: `<--flag> <path>: cannot open: <reason>.`
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { SizedByteSource } from '../bitlocker/byte-source.js';
import type { Wording } from '../text/wording.js';
import { say } from '../text/terminal-language.js';
import { inputMessages } from './input-messages.js';
import { CliError, ExitCode } from './output.js';

export type AcceptedKinds = 'file' | 'file-or-block-device';

export interface InputFileOptions {
  /** The flag that named the path (`--from`), so the message says which argument is meant. */
  flag?: string;
  /** Appended to a refusal of a pipe or other special file: how to read it instead. */
  pipeHint?: Wording;
}

/** What a path is, in words, for a file Keyhold will not read. */
function describeKind(info: Stats): Wording {
  if (info.isDirectory()) return inputMessages.kindFolder;
  if (info.isFIFO()) return inputMessages.kindFifo;
  if (info.isCharacterDevice()) return inputMessages.kindCharacterDevice;
  if (info.isSocket()) return inputMessages.kindSocket;
  return inputMessages.kindOther;
}

const noHint: Wording = { en: '', nb: '' };

function accepts(info: Stats, kinds: AcceptedKinds): boolean {
  return info.isFile() || (kinds === 'file-or-block-device' && info.isBlockDevice());
}

function subject(path: string, options: InputFileOptions): string {
  return options.flag === undefined ? path : `${options.flag} ${path}`;
}

function refusal(
  path: string,
  info: Stats,
  kinds: AcceptedKinds,
  options: InputFileOptions,
): CliError {
  const blockDevices = kinds === 'file-or-block-device';
  const hint = options.pipeHint ?? noHint;
  return new CliError(
    say(inputMessages.refused(subject(path, options), describeKind(info), blockDevices, hint)),
    ExitCode.unusable,
  );
}

/** Reasons a person can fix (a typo, permissions) are unusable input; others are the system's. */
function cannotOpen(
  path: string,
  error: NodeJS.ErrnoException,
  kinds: AcceptedKinds,
  options: InputFileOptions,
): CliError {
  const noSuch = inputMessages.noSuchFile(kinds === 'file-or-block-device');
  const reasons: Record<string, Wording> = {
    ENOENT: noSuch,
    ENOTDIR: noSuch,
    EACCES: inputMessages.permissionDenied,
    EPERM: inputMessages.permissionDenied,
    ELOOP: inputMessages.tooManyLinks,
    ENAMETOOLONG: inputMessages.nameTooLong,
  };
  const known = reasons[error.code ?? ''];
  const system = error.code ?? error.message;
  const deviceHint =
    kinds === 'file-or-block-device' && known === inputMessages.permissionDenied
      ? inputMessages.deviceNeedsRoot
      : noHint;
  return new CliError(
    say(
      inputMessages.cannotOpen(
        subject(path, options),
        known ?? { en: system, nb: system },
        deviceHint,
      ),
    ),
    known === undefined ? ExitCode.environment : ExitCode.unusable,
  );
}

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/**
 * Opens `path` read-only, refusing FIFOs, character devices, sockets and folders at once: reading
 * a FIFO or a terminal would wait forever for a writer. The path is checked before opening (so
 * no device is ever opened) and the open handle again, opened without blocking, so a path
 * swapped for a FIFO in between cannot hang the open either. Every failure is a CliError.
 */
export async function openReadable(
  path: string,
  kinds: AcceptedKinds,
  options: InputFileOptions = {},
): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    const before = await stat(path);
    if (!accepts(before, kinds)) throw refusal(path, before, kinds, options);
    // O_NONBLOCK only changes how FIFOs and devices open; it does nothing to a regular file.
    // Windows has no such flag (the typings say number, Node leaves it undefined there).
    const nonBlocking = (constants.O_NONBLOCK as number | undefined) ?? 0;
    handle = await open(path, constants.O_RDONLY | nonBlocking);
  } catch (error) {
    if (isErrno(error)) throw cannotOpen(path, error, kinds, options);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!accepts(info, kinds)) throw refusal(path, info, kinds, options);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A ByteSource over an open regular file; the caller closes the handle. */
function fileSource(name: string, handle: FileHandle, size: number): SizedByteSource {
  return {
    name,
    size,
    async read(offset, length) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      try {
        const { bytesRead } = await handle.read({ buffer, position: offset });
        return buffer.subarray(0, bytesRead);
      } catch (error) {
        if (!isErrno(error)) throw error;
        throw new CliError(
          say(inputMessages.cannotRead(name, error.code ?? error.message)),
          ExitCode.environment,
        );
      }
    },
  };
}

/** Runs `work` over the regular file at `path` and closes it afterwards. */
export async function withInputFile<T>(
  path: string,
  options: InputFileOptions,
  work: (source: SizedByteSource) => Promise<T>,
): Promise<T> {
  const { handle, info } = await openReadable(path, 'file', options);
  try {
    return await work(fileSource(path, handle, info.size));
  } finally {
    await handle.close();
  }
}
