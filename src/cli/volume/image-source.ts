import type { Stats } from 'node:fs';
import { readFile, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../../bitlocker/volume/volume.js';
import { CliError, ExitCode } from '../output.js';
import { openReadable } from './file-kind.js';

/** An image file or block device, opened read-only. */
export interface ImageSource extends ByteSource {
  readonly path: string;
  close(): Promise<void>;
}

/** Linux reports a block device's size in 512-byte units under /sys; elsewhere it stays unknown. */
async function blockDeviceSize(rdev: number): Promise<number | undefined> {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((Math.floor(rdev / 0x100000) & 0xfff) << 8);
  try {
    const text = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
    const sectors = Number(text.trim());
    return Number.isSafeInteger(sectors) ? sectors * 512 : undefined;
  } catch {
    return undefined;
  }
}

function describeOpenError(path: string, error: NodeJS.ErrnoException): CliError {
  switch (error.code) {
    case 'ENOENT':
      return new CliError(`${path}: no such file or device.`, ExitCode.unusable);
    case 'EACCES':
    case 'EPERM':
      return new CliError(
        `${path}: permission denied. Reading a device usually needs root (try sudo), or read an image of it.`,
        ExitCode.unusable,
      );
    default:
      return new CliError(
        `${path}: cannot open (${error.code ?? error.message}).`,
        ExitCode.environment,
      );
  }
}

/**
 * Opens a volume image or device for reading only: Keyhold never writes to the source.
 */
export async function openImageSource(path: string): Promise<ImageSource> {
  let handle: FileHandle;
  let stat: Stats;
  try {
    ({ handle, info: stat } = await openReadable(path, 'file-or-block-device'));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw describeOpenError(path, error as NodeJS.ErrnoException);
  }
  const size = stat.isBlockDevice() ? await blockDeviceSize(stat.rdev) : stat.size;
  const readInto = async (offset: number, target: Uint8Array): Promise<number> => {
    let filled = 0;
    while (filled < target.length) {
      const { bytesRead } = await handle.read(
        target,
        filled,
        target.length - filled,
        offset + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  };
  return {
    path,
    size,
    readInto,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, await readInto(offset, buffer));
    },
    close: () => handle.close(),
  };
}
