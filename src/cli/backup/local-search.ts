import { lstat, opendir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { BitLockerFormatError } from '../../bitlocker/errors.js';
import { bufferSource, readKeySource } from '../../bitlocker/key-sources.js';
import { matchesKeyIdPrefix, type ProtectorType } from '../../bitlocker/protector-id.js';

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
  error?: string;
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

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such folder';
  if (code === 'ENOTDIR') return 'not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
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
  let seen = 0;
  const pending: { path: string; depth: number }[] = [{ path: place.path, depth: 0 }];
  while (pending.length > 0) {
    const folder = pending.shift();
    if (!folder) break;
    let entries;
    try {
      entries = await opendir(folder.path);
    } catch {
      // An unreadable subfolder (permissions) is skipped; the rest of the place still counts.
      continue;
    }
    for await (const entry of entries) {
      seen += 1;
      if (seen > limits.maxEntries) {
        result.incomplete = true;
        break;
      }
      if (seen % 500 === 0) onProgress(seen);
      const path = join(folder.path, entry.name);
      if (entry.isDirectory()) {
        if (folder.depth < limits.maxDepth && !skippedFolders.has(entry.name.toLowerCase())) {
          pending.push({ path, depth: folder.depth + 1 });
        }
        continue;
      }
      if (!entry.isFile() || !candidateExtensions.has(extname(entry.name).toLowerCase())) continue;
      const matches = await matchesInFile(path, prefix, place, limits.maxFileBytes);
      if (matches !== undefined) result.filesRead += 1;
      result.matches.push(...(matches ?? []));
    }
    if (result.incomplete) break;
  }
  onProgress(seen);
  return result;
}

/** The matching keys of one file; undefined when the file was not read (too big, unreadable). */
async function matchesInFile(
  path: string,
  prefix: string,
  place: SearchPlace,
  maxFileBytes: number,
): Promise<LocalMatch[] | undefined> {
  let bytes: Buffer;
  try {
    const info = await lstat(path);
    if (info.size > maxFileBytes || info.size === 0) return undefined;
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
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
