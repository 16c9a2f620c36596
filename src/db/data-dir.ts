import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { dataMessages } from '../operations/data-messages.js';
import type { Wording } from '../server/messages.js';

/** The data folder cannot hold Keyhold's files; the message names the folder and why. */
export class DataDirError extends Error {
  override name = 'DataDirError';
  constructor(
    readonly wording: Wording,
    options?: ErrorOptions,
  ) {
    super(wording.en, options);
  }
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
      dataMessages.dataDirUnusable(dataDir, problemWith(dataDir, realCause(dataDir, error))),
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

function problemWith(dataDir: string, error: unknown): Wording {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return isFile(dataDir) ? dataMessages.isAFile : dataMessages.pathHasAFile;
  }
  if (code === 'EROFS') return dataMessages.readOnly;
  if (code === 'EACCES' || code === 'EPERM') {
    return dataMessages.permissionDenied(currentUser());
  }
  if (code === 'ENOSPC') return dataMessages.diskFull;
  // The operating system's own words, in whatever language it speaks.
  const reason = (error as Error).message;
  return { en: reason, nb: reason };
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
