import { closeSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Wording } from '../../text/wording.js';
import { BitLockerFormatError } from '../../bitlocker/errors.js';
import { bufferSource, readKeySource } from '../../bitlocker/key-sources.js';
import { looksLikeBekFile } from '../../bitlocker/bek-file.js';
import {
  matchesKeyIdPrefix,
  normalizeKeyIdPrefix,
  type ProtectorType,
} from '../../bitlocker/protector-id.js';
import { backupMessages } from './messages.js';

/** A place searched: a removable drive's mount point or a folder named with --in. */
export interface SearchPlace {
  kind: 'drive' | 'folder';
  path: string;
  /** The drive's label, for "on the USB drive KEYS". */
  label?: string | null;
}

export interface LocalMatch {
  path: string;
  protectorId: string;
  type: ProtectorType;
  /** `recovery-key-file`, `bek`, `manage-bde`, `powershell-json`. */
  format: string;
  /** Only read when the person asks to see it. */
  recoveryPassword?: string;
  place: SearchPlace;
}

export interface SearchLimits {
  /** Folder levels below the place to look into (0: only the place itself). */
  maxDepth: number;
  /** Key files are a few kilobytes; bigger files are not opened. */
  maxFileBytes: number;
  /** Files and folders looked at per place before giving up on the rest. */
  maxEntries: number;
}

export const defaultSearchLimits: SearchLimits = {
  maxDepth: 4,
  maxFileBytes: 64 * 1024,
  maxEntries: 200_000,
};

export interface PlaceResult {
  place: SearchPlace;
  matches: LocalMatch[];
  filesRead: number;
  /** Set when the place could not be searched at all (gone, not a folder, no permission). */
  error?: Wording;
  /** True when maxEntries was reached and part of the place was not looked at. */
  incomplete: boolean;
}

// Windows names them "BitLocker Recovery Key <GUID>.TXT" and "<GUID>.BEK"; saved tool output is
// .txt or .json. Renamed files keep one of these endings in practice; other files are not opened.
const candidateExtensions = new Set(['.txt', '.bek', '.json']);
const skippedFolders = new Set([
  'system volume information',
  '$recycle.bin',
  'node_modules',
  '.git',
  '.trash-1000',
  '.spotlight-v100',
  '.fseventsd',
]);

function describeOpenError(error: unknown): Wording {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return backupMessages.noSuchFolder;
  if (code === 'ENOTDIR') return backupMessages.notAFolder;
  if (code === 'EACCES' || code === 'EPERM') return backupMessages.permissionDenied;
  const message = error instanceof Error ? error.message : String(error);
  return { en: message, nb: message };
}

/**
 * Looks for recovery key files, .BEK files and saved manage-bde/PowerShell output holding a key
 * whose ID starts with `prefix`, down to `limits.maxDepth` folder levels. Never follows symbolic
 * links (a link back up would loop, and a link out leaves the place searched).
 */
export async function searchPlace(
  place: SearchPlace,
  prefix: string,
  limits: SearchLimits = defaultSearchLimits,
  onProgress: (filesSeen: number) => void = () => undefined,
): Promise<PlaceResult> {
  const result: PlaceResult = { place, matches: [], filesRead: 0, incomplete: false };
  try {
    const info = await lstat(place.path);
    if (!info.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (error) {
    result.error = describeOpenError(error);
    return result;
  }
  // Normalized once: upper-case hex digits only.
  const idPrefix = normalizeKeyIdPrefix(prefix);
  let seen = 0;
  const pending: { path: string; depth: number }[] = [{ path: place.path, depth: 0 }];
  for (let next = 0; next < pending.length && !result.incomplete; next++) {
    const folder = pending[next];
    if (!folder) break;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder.path, { withFileTypes: true });
    } catch {
      // An unreadable subfolder (permissions) is skipped; the rest of the place still counts.
      continue;
    }
    for (const entry of entries) {
      seen += 1;
      if (seen > limits.maxEntries) {
        result.incomplete = true;
        break;
      }
      if (entry.isDirectory()) {
        if (folder.depth < limits.maxDepth && !skippedFolders.has(entry.name.toLowerCase())) {
          pending.push({ path: join(folder.path, entry.name), depth: folder.depth + 1 });
        }
      } else if (entry.isFile() && candidateExtensions.has(extname(entry.name).toLowerCase())) {
        const path = join(folder.path, entry.name);
        const matches = await matchesInFile(path, idPrefix, place, limits.maxFileBytes);
        if (matches === undefined) continue;
        result.filesRead += 1;
        result.matches.push(...matches);
      }
    }
    onProgress(seen);
    // Between folders, let the progress indicator (and Ctrl+C) have the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return result;
}

/** One scratch buffer for every read (reads are synchronous, so never two at once). */
let readBuffer = Buffer.alloc(0);

/**
 * Up to `maxFileBytes` of a file; undefined when it is larger, empty or unreadable. Plain
 * synchronous reads: the search does nothing else meanwhile, and a key file is one read, so a
 * trip through the thread pool for each would cost more than the read itself.
 */
function readSmallFile(path: string, maxFileBytes: number): Buffer | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    if (readBuffer.length < maxFileBytes + 1) readBuffer = Buffer.allocUnsafe(maxFileBytes + 1);
    const bytesRead = readSync(descriptor, readBuffer, 0, maxFileBytes + 1, 0);
    if (bytesRead === 0 || bytesRead > maxFileBytes) return undefined;
    return Buffer.from(readBuffer.subarray(0, bytesRead));
  } catch {
    return undefined;
  } finally {
    closeSync(descriptor);
  }
}

/**
 * A cheap first look: every text form of a key ID (recovery file, manage-bde, PowerShell) writes
 * its first 8 hex digits together and in one letter case, so text without them in upper or lower
 * case, as UTF-8 or UTF-16, holds no matching key and is not parsed. A .BEK file stores its ID in
 * binary and always goes on to the parser.
 */
function mayHoldKeyId(bytes: Buffer, start: string): boolean {
  if (looksLikeBekFile(bytes)) return true;
  return [start, start.toLowerCase()].some(
    (text) =>
      bytes.includes(text, 0, 'latin1') ||
      bytes.includes(Buffer.from(text, 'utf16le')) ||
      bytes.includes(Buffer.from(text, 'utf16le').swap16()),
  );
}

/** The matching keys of one file; undefined when the file was not read (too big, unreadable). */
async function matchesInFile(
  path: string,
  /** Normalized: upper-case hex digits. */
  prefix: string,
  place: SearchPlace,
  maxFileBytes: number,
): Promise<LocalMatch[] | undefined> {
  const bytes = readSmallFile(path, maxFileBytes);
  if (bytes === undefined) return undefined;
  if (!mayHoldKeyId(bytes, prefix.slice(0, 8))) return [];
  try {
    const keys = await readKeySource(bufferSource(path, bytes));
    const seen = new Set<string>();
    return keys.flatMap((key) => {
      if (!matchesKeyIdPrefix(key.protectorId, prefix)) return [];
      const identity = `${key.protectorId}/${key.type}`;
      if (seen.has(identity)) return [];
      seen.add(identity);
      return [
        {
          path,
          protectorId: key.protectorId,
          type: key.type,
          format: key.format,
          ...(key.recoveryPassword ? { recoveryPassword: key.recoveryPassword } : {}),
          place,
        },
      ];
    });
  } catch (error) {
    // Most .txt and .json files are not key files: that is the normal case, not an error.
    if (error instanceof BitLockerFormatError) return [];
    throw error;
  }
}
