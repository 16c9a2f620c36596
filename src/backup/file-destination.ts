import type { Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BitLockerFormatError } from '../bitlocker/errors.js';
import { type RecoveryFileKey, readRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { writeFileAtomically } from '../files/atomic-file.js';
import type { Wording } from '../text/wording.js';
import { BackupError, DifferentKeyFileError } from './errors.js';
import { asGiven, backupErrorMessages } from './messages.js';

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
  const reasons: Record<string, Wording> = {
    ENOSPC: backupErrorMessages.driveFull,
    EROFS: backupErrorMessages.driveReadOnly,
    EACCES: backupErrorMessages.permissionDenied,
    EPERM: backupErrorMessages.permissionDenied,
    EIO: backupErrorMessages.inputOutputError,
    EISDIR: backupErrorMessages.folderHasName,
    ENAMETOOLONG: backupErrorMessages.nameTooLong,
  };
  const reason = reasons[errorCode(error) ?? ''] ?? asGiven((error as Error).message);
  return new BackupError('write-failed', backupErrorMessages.couldNotWrite(path, reason), {
    cause: error,
  });
}

function theOneKey(bytes: Uint8Array): RecoveryFileKey {
  let keys: RecoveryFileKey[];
  try {
    keys = readRecoveryKeyFile(bytes);
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    throw new BackupError(
      'invalid-input',
      backupErrorMessages.notARecoveryKeyFileToSave(error.wording),
    );
  }
  const [key] = keys;
  if (!key || keys.length > 1) {
    throw new BackupError('invalid-input', backupErrorMessages.severalKeysToSave(keys.length));
  }
  return key;
}

/** Where the file goes: inside `destination` when it is a folder, else `destination` itself. */
async function resolveTarget(destination: string, fileName: string): Promise<string> {
  if (fileName === '' || basename(fileName) !== fileName) {
    throw new BackupError('invalid-input', backupErrorMessages.notAPlainFileName(fileName));
  }
  const path = resolve(destination);
  const found = await statOrUndefined(path);
  if (found?.isDirectory()) return join(path, fileName);
  if (found && !found.isFile()) {
    throw new BackupError('invalid-input', backupErrorMessages.neitherFolderNorFile(path));
  }
  if (!found && /[\\/]$/.test(destination)) {
    throw new BackupError('no-such-folder', backupErrorMessages.noSuchFolder(path));
  }
  const folder = await statOrUndefined(dirname(path));
  if (!folder?.isDirectory()) {
    throw new BackupError('no-such-folder', backupErrorMessages.noSuchFolder(dirname(path)));
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
    throw new BackupError('not-a-recovery-file', backupErrorMessages.existsNotRecoveryFile(path));
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
      backupErrorMessages.onProtectedDrive(dir, options.protectedVolume),
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
    throw new BackupError('write-failed', backupErrorMessages.changedWhileWriting(target));
  }
  return { path: target, outcome: 'written' };
}
