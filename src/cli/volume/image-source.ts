import { readFile } from 'node:fs/promises';
import type { ByteSource } from '../../bitlocker/byte-source.js';
import { openReadable } from '../input-file.js';

/** An image file or block device, opened read-only. */
export interface ImageSource extends ByteSource {
  readonly path: string;
  /** The open file descriptor, for reads outside JavaScript (the native addon's copy). */
  readonly fd: number;
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

/**
 * Opens a volume image or device for reading only: Keyhold never writes to the source.
 */
export async function openImageSource(path: string): Promise<ImageSource> {
  const { handle, info: stat } = await openReadable(path, 'file-or-block-device');
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
    name: path,
    fd: handle.fd,
    size,
    readInto,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, await readInto(offset, buffer));
    },
    close: () => handle.close(),
  };
}
