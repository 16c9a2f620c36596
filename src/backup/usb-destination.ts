import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BitLockerFormatError } from '../bitlocker/errors.js';
import { readRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { BackupError } from './errors.js';
import { backupErrorMessages } from './messages.js';
import { syncDirectory } from '../files/atomic-file.js';
import { isOnVolume, saveRecoveryFile } from './file-destination.js';

export interface UsbBackupOptions {
  /** The drive's mount point (`/media/ola/KEYS`, `/Volumes/KEYS`, `E:\`); the file goes in its root. */
  mountPoint: string;
  /** The recovery key file's name and bytes (see writeRecoveryKeyFile). */
  fileName: string;
  bytes: Uint8Array;
  /** A path on the volume the key unlocks (its mount point), when known. */
  protectedVolume?: string;
  /** Language of the reminder. */
  lang?: 'en' | 'nb';
}

export interface UsbBackupResult {
  path: string;
  /** `already-there` when the drive already held this key's file; it was left as it was. */
  outcome: 'written' | 'already-there';
  /** What to tell the person now that the key is on the drive. */
  reminder: string;
}

const reminders = {
  en: 'Unplug the drive and keep it away from the computer: a key kept with the computer is lost or stolen together with it.',
  nb: 'Ta ut minnepinnen og oppbevar den atskilt fra datamaskinen: en nøkkel som ligger sammen med maskinen, blir borte eller stjålet sammen med den.',
} as const;

/** Flushes the file once more and reads it back through the filesystem. */
async function flushAndReadBack(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function holdsSameKey(written: Buffer, intended: Uint8Array): boolean {
  if (written.equals(intended)) return true;
  try {
    const [found, ...more] = readRecoveryKeyFile(written);
    const [wanted] = readRecoveryKeyFile(intended);
    return (
      more.length === 0 &&
      found?.protectorId === wanted?.protectorId &&
      found?.recoveryPassword === wanted?.recoveryPassword
    );
  } catch (error) {
    if (error instanceof BitLockerFormatError) return false;
    throw error;
  }
}

/**
 * Saves the recovery key file to the root of a USB drive the way Windows' "Save to a USB flash
 * drive" does, flushes it to the drive, and reads it back to check it. Refuses the drive that is
 * itself the protected volume. The read-back goes through the operating system, so it proves
 * what the filesystem holds after the flush, not a second read of the flash cells.
 */
export async function saveToUsbDrive(options: UsbBackupOptions): Promise<UsbBackupResult> {
  const drive = await stat(options.mountPoint).catch(() => undefined);
  if (!drive?.isDirectory()) {
    throw new BackupError('no-such-folder', backupErrorMessages.noDriveMounted(options.mountPoint));
  }
  if (
    options.protectedVolume !== undefined &&
    (await isOnVolume(options.mountPoint, options.protectedVolume))
  ) {
    throw new BackupError(
      'protected-volume',
      backupErrorMessages.usbIsProtectedDrive(options.mountPoint),
    );
  }

  const saved = await saveRecoveryFile({
    destination: options.mountPoint,
    fileName: options.fileName,
    bytes: options.bytes,
    ...(options.protectedVolume === undefined ? {} : { protectedVolume: options.protectedVolume }),
  });
  let readBack: Buffer;
  try {
    readBack = await flushAndReadBack(saved.path);
    await syncDirectory(dirname(saved.path));
  } catch (error) {
    throw new BackupError(
      'verify-failed',
      backupErrorMessages.notReadBack(saved.path, (error as Error).message),
      { cause: error },
    );
  }
  const matches =
    saved.outcome === 'written'
      ? readBack.equals(options.bytes)
      : holdsSameKey(readBack, options.bytes);
  if (!matches) {
    throw new BackupError('verify-failed', backupErrorMessages.readsBackDifferently(saved.path));
  }
  return { ...saved, reminder: reminders[options.lang ?? 'en'] };
}
