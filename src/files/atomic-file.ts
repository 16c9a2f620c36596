import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A file that appears under its name only when complete. It is written under a temporary name
 * in the same folder (owner-only: what Keyhold writes is secret until it is in place), flushed,
 * moved into place, and the folder flushed, so a crash or power cut leaves either no file or the
 * whole file. Nothing is left behind unless `commit` succeeds.
 */
export interface AtomicFile {
  /** Appends `bytes`; resolves once they are written and the buffer may be reused. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * The open temporary file, for writers that place bytes at offsets themselves (pwrite) instead
   * of through `write`; what they write is committed or discarded the same way.
   */
  readonly fd: number;
  /**
   * Flushes and moves the file into place. Without `replace`, a file that appeared at the target
   * meanwhile is never replaced: commit then fails with an `EEXIST` error.
   */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface AtomicFileOptions {
  /** Replace a file already at the target (otherwise an existing target is left alone). */
  replace?: boolean;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Makes a rename or new name in `dir` survive a power cut. Windows cannot open folders. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems (FUSE, network mounts) do not support syncing a folder at all.
    if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR'].includes(errorCode(error) ?? '')) {
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/** Errors from link() on filesystems without hard links (FAT, exFAT, some network shares). */
const noHardLinks = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

function targetExists(target: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EEXIST: file already exists, '${target}'`), {
    code: 'EEXIST',
  });
}

/**
 * Puts the finished temporary file in place. A new file is linked in, which refuses a name that
 * appeared meanwhile; where the filesystem has no hard links, rename() is used after checking
 * the name is still free, which leaves only a moment's race.
 */
async function moveIntoPlace(temporary: string, target: string, replace: boolean): Promise<void> {
  if (replace) {
    await rename(temporary, target);
    return;
  }
  try {
    await link(temporary, target);
    await unlink(temporary);
    return;
  } catch (error) {
    if (!noHardLinks.has(errorCode(error) ?? '')) throw error;
  }
  if (await stat(target).catch(() => undefined)) throw targetExists(target);
  await rename(temporary, target);
}

/** Starts writing `target`; the folder must exist. */
export async function createAtomicFile(
  target: string,
  options: AtomicFileOptions = {},
): Promise<AtomicFile> {
  const dir = dirname(target);
  const temporary = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle: FileHandle = await open(temporary, 'wx', 0o600);
  // Whatever ends the process before commit or abort (an exit, a crash), no partial file stays.
  const removeOnExit = () => {
    try {
      unlinkSync(temporary);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', removeOnExit);
  let isOpen = true;
  let position = 0;
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  const discard = async () => {
    await close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    process.removeListener('exit', removeOnExit);
  };
  return {
    fd: handle.fd,
    async write(bytes) {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(
          bytes,
          written,
          bytes.length - written,
          position,
        );
        written += bytesWritten;
        position += bytesWritten;
      }
    },
    async commit() {
      try {
        await handle.sync();
        await close();
        await moveIntoPlace(temporary, target, options.replace === true);
      } catch (error) {
        await discard();
        throw error;
      }
      process.removeListener('exit', removeOnExit);
      await syncDirectory(dir);
    },
    abort: discard,
  };
}

/** Writes `bytes` to `target` atomically (see AtomicFile). */
export async function writeFileAtomically(
  target: string,
  bytes: Uint8Array,
  options: AtomicFileOptions = {},
): Promise<void> {
  const file = await createAtomicFile(target, options);
  try {
    await file.write(bytes);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}
