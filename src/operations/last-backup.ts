import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `<data-dir>/last-backup.json` notes when `keyhold admin backup` last succeeded, for the
 * `keyhold_last_backup_age_seconds` metric of servers using the same data folder.
 */
const lastBackupFileName = 'last-backup.json';

export async function recordLastBackup(dataDir: string, at: Date): Promise<void> {
  await writeFile(join(dataDir, lastBackupFileName), JSON.stringify({ at: at.toISOString() }), {
    mode: 0o600,
  }).catch(() => {
    // The backup itself is complete; only the metric misses it (a read-only data folder).
  });
}

export async function lastBackupAt(dataDir: string): Promise<Date | undefined> {
  try {
    const { at } = JSON.parse(await readFile(join(dataDir, lastBackupFileName), 'utf8')) as {
      at?: unknown;
    };
    const date = typeof at === 'string' ? new Date(at) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
  } catch {
    return undefined;
  }
}
