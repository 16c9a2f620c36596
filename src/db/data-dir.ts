import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';

/** The data folder cannot hold Keyhold's files; the message names the folder and why. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/**
 * Creates the data folder (mode 0700) if needed and checks that this process may write in it,
 * before anything is created there, so that a folder that is a file, sits on a read-only file
 * system or belongs to someone else ends the start with one sentence saying so.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new DataDirError(
      `the data folder ${dataDir} cannot be used: ${problemWith(dataDir, realCause(dataDir, error))}. Give ` +
        '--data-dir (or KEYHOLD_DATA_DIR) a folder Keyhold may write in.',
    );
  }
}

/**
 * Node's recursive mkdir answers ENOENT where the file system refused to create a folder (a
 * read-only one, say): the nearest folder that exists tells the real reason.
 */
function realCause(dataDir: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
  for (let parent = dirname(dataDir); parent !== dirname(parent); parent = dirname(parent)) {
    if (!existsSync(parent)) continue;
    try {
      accessSync(parent, constants.W_OK | constants.X_OK);
    } catch (refusal) {
      return refusal;
    }
    break;
  }
  return error;
}

function problemWith(dataDir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return isFile(dataDir)
      ? 'it is a file, not a folder'
      : 'part of its path is a file, not a folder';
  }
  if (code === 'EROFS') return 'it is on a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied to user ${currentUser()}`;
  }
  if (code === 'ENOSPC') return 'the disk is full';
  return (error as Error).message;
}

function isFile(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No name for this user id (a container running under an arbitrary uid).
    return `id ${process.getuid?.() ?? 'unknown'}`;
  }
}
