import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { CliError, ExitCode } from '../output.js';

/** What a path is, in words, for a file Keyhold will not read. */
function describeKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

export type AcceptedKinds = 'file' | 'file-or-block-device';

function accepts(info: Stats, kinds: AcceptedKinds): boolean {
  return info.isFile() || (kinds === 'file-or-block-device' && info.isBlockDevice());
}

function refusal(path: string, info: Stats, kinds: AcceptedKinds, pipeHint: string): CliError {
  const wanted = kinds === 'file' ? 'a regular file' : 'a regular file or a block device';
  return new CliError(
    `${path} is ${describeKind(info)}; Keyhold reads only ${wanted}${pipeHint}.`,
    ExitCode.unusable,
  );
}

/**
 * Opens `path` read-only, refusing FIFOs, character devices, sockets and folders at once: reading
 * a FIFO or a terminal would wait forever for a writer. The path is checked before opening (so
 * no device is ever opened) and the open handle again, opened without blocking, so a path
 * swapped for a FIFO in between cannot hang the open either.
 * Errors from `open` itself (ENOENT, EACCES) are passed to the caller unchanged.
 */
export async function openReadable(
  path: string,
  kinds: AcceptedKinds,
  pipeHint = '',
): Promise<{ handle: FileHandle; info: Stats }> {
  const before = await stat(path);
  if (!accepts(before, kinds)) throw refusal(path, before, kinds, pipeHint);
  // O_NONBLOCK only changes how FIFOs and devices open; it does nothing to a regular file.
  // Windows has no such flag (the typings say number, Node leaves it undefined there).
  const nonBlocking = (constants.O_NONBLOCK as number | undefined) ?? 0;
  const handle = await open(path, constants.O_RDONLY | nonBlocking);
  try {
    const info = await handle.stat();
    if (!accepts(info, kinds)) throw refusal(path, info, kinds, pipeHint);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
