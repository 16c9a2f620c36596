import type { Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BitLockerFormatError } from '../bitlocker/errors.js';
import { type RecoveryFileKey, readRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { writeFileAtomically } from '../files/atomic-file.js';
import { BackupError, DifferentKeyFileError } from './errors.js';

export interface SaveRecoveryFileOptions {
  /** A folder (the file is named `fileName` inside it) or the path of the file itself. */
  destination: string;
  /** The recovery key file as it should be on disk (see writeRecoveryKeyFile). */
  bytes: Uint8Array;
  /** The file's name when `destination` is a folder. */
  fileName: string;
  /** A path on the volume the key unlocks (its mount point), when known: never written to. */
  protectedVolume?: string;
}

export interface SavedRecoveryFile {
  path: string;
  /** `already-there` when the file existed and already held this key; it was left as it was. */
  outcome: 'written' | 'already-there';
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function isWithin(path: string, root: string): boolean {
  const inside = relative(root, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

/**
 * Whether `path` lies on the same volume as `volumePath`. Device ids decide (they see through
 * symlinks and bind mounts, and on Windows they are volume serial numbers); where a filesystem
 * reports no device id, the resolved real paths do. A volume that is not mounted here holds
 * nothing we could write.
 */
export async function isOnVolume(path: string, volumePath: string): Promise<boolean> {
  const volume = await statOrUndefined(volumePath);
  const target = await statOrUndefined(path);
  if (!volume || !target) return false;
  if (volume.dev !== 0 && target.dev !== 0) return volume.dev === target.dev;
  return isWithin(await realpath(path), await realpath(volumePath));
}

function describeWriteFailure(path: string, error: unknown): BackupError {
  const reasons: Record<string, string> = {
    ENOSPC: 'the drive is full',
    EROFS: 'the drive is read-only',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EIO: 'the drive reported an input/output error',
    EISDIR: 'a folder has that name',
    ENAMETOOLONG: 'the name is too long for this drive',
  };
  const reason = reasons[errorCode(error) ?? ''] ?? (error as Error).message;
  return new BackupError('write-failed', `Could not write ${path}: ${reason}.`, { cause: error });
}

function theOneKey(bytes: Uint8Array): RecoveryFileKey {
  let keys: RecoveryFileKey[];
  try {
    keys = readRecoveryKeyFile(bytes);
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    throw new BackupError(
      'invalid-input',
      `The file to save is not a recovery key file: ${error.message}`,
    );
  }
  const [key] = keys;
  if (!key || keys.length > 1) {
    throw new BackupError(
      'invalid-input',
      `The file to save holds ${keys.length} recovery keys; a recovery key file holds one.`,
    );
  }
  return key;
}

/** Where the file goes: inside `destination` when it is a folder, else `destination` itself. */
async function resolveTarget(destination: string, fileName: string): Promise<string> {
  if (fileName === '' || basename(fileName) !== fileName) {
    throw new BackupError('invalid-input', `"${fileName}" is not a plain file name.`);
  }
  const path = resolve(destination);
  const found = await statOrUndefined(path);
  if (found?.isDirectory()) return join(path, fileName);
  if (found && !found.isFile()) {
    throw new BackupError('invalid-input', `${path} is neither a folder nor a file.`);
  }
  if (!found && /[\\/]$/.test(destination)) {
    throw new BackupError(
      'no-such-folder',
      `The folder ${path} does not exist. Create it first or choose another folder.`,
    );
  }
  const folder = await statOrUndefined(dirname(path));
  if (!folder?.isDirectory()) {
    throw new BackupError(
      'no-such-folder',
      `The folder ${dirname(path)} does not exist. Create it first or choose another folder.`,
    );
  }
  return path;
}

/**
 * What an existing file at the target means: undefined when there is none; `already-there` when
 * it holds this key (in any layout or encoding); an error when it holds anything else.
 */
async function checkExisting(
  path: string,
  bytes: Uint8Array,
  key: RecoveryFileKey,
): Promise<'already-there' | undefined> {
  let existing: Buffer;
  try {
    existing = await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw describeWriteFailure(path, error);
  }
  if (existing.equals(bytes)) return 'already-there';
  let keys: RecoveryFileKey[];
  try {
    keys = readRecoveryKeyFile(existing);
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    throw new BackupError(
      'not-a-recovery-file',
      `${path} already exists and is not a recovery key file. Nothing was overwritten; choose another file name.`,
    );
  }
  const same = keys.length === 1 && keys[0]?.protectorId === key.protectorId;
  if (same && keys[0]?.recoveryPassword === key.recoveryPassword) return 'already-there';
  throw new DifferentKeyFileError(
    path,
    keys.map((found) => found.protectorId),
    key.protectorId,
  );
}

/**
 * Saves a recovery key file into a folder or to a path, atomically (a temporary file in the
 * same folder, flushed, then moved into place, then the folder flushed): a crash leaves either
 * no file or the whole file. An existing file holding the same key counts as done; one holding
 * anything else is never overwritten. Refuses to write onto the volume the key unlocks.
 */
export async function saveRecoveryFile(
  options: SaveRecoveryFileOptions,
): Promise<SavedRecoveryFile> {
  const key = theOneKey(options.bytes);
  const target = await resolveTarget(options.destination, options.fileName);
  const dir = dirname(target);
  if (options.protectedVolume !== undefined && (await isOnVolume(dir, options.protectedVolume))) {
    throw new BackupError(
      'protected-volume',
      `${dir} is on the drive this key unlocks (${options.protectedVolume}). A key kept on its own drive is locked away with it: choose another drive.`,
    );
  }

  if ((await checkExisting(target, options.bytes, key)) === 'already-there') {
    return { path: target, outcome: 'already-there' };
  }
  try {
    await writeFileAtomically(target, options.bytes);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw describeWriteFailure(target, error);
    // Something wrote the file since the check: judge what is there now.
    if ((await checkExisting(target, options.bytes, key)) === 'already-there') {
      return { path: target, outcome: 'already-there' };
    }
    throw new BackupError(
      'write-failed',
      `${target} changed while it was being written. Try again.`,
    );
  }
  return { path: target, outcome: 'written' };
}
