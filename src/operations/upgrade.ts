import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keyring } from '../crypto/master-key.js';
import type { Database } from '../db/database.js';
import { appliedMigrationNames, pendingMigrations } from '../db/migrate.js';

export interface UpgradeBackupOptions {
  database: Database;
  dataDir: string;
  /** Loaded only when a backup is taken: a new database needs no key yet. */
  keyring: () => Keyring;
  enabled: boolean;
  now: Date;
}

/**
 * Before migrations change a SQLite database that holds data, a backup of it as it was goes to
 * `<data-dir>/backups/`, so an upgrade can be undone by restoring it with the old version.
 * (PostgreSQL: the operator's own backups, see docs/operations.md.) Returns the file, if any.
 */
export async function backupBeforeMigrating({
  database,
  dataDir,
  keyring,
  enabled,
  now,
}: UpgradeBackupOptions): Promise<string | undefined> {
  if (!enabled || database.dialect !== 'sqlite') return undefined;
  const pending = await pendingMigrations(database);
  if (pending.length === 0 || (await appliedMigrationNames(database)).length === 0) {
    return undefined;
  }
  const folder = join(dataDir, 'backups');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const stamp = now
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');
  const out = join(folder, `before-${pending[0] ?? 'migrating'}-${stamp}.keyhold-backup`);
  const { takeBackup } = await import('./take-backup.js');
  await takeBackup({ database, dataDir, keyring: keyring(), out, now });
  return out;
}
