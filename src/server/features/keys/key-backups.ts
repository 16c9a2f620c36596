import { newId } from '../../../db/ids.js';
import type { BackupDestination } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import type { Library, LibraryAccess } from '../../policies.js';
import { keyEvent, keyInReach } from './key-access.js';
import * as repo from './keys-repo.js';
import { offlineDestinations } from './summary.js';

/** The copies of a key a person keeps elsewhere: recording them and listing them. */

async function recordBackup(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  row: repo.KeySummaryRow,
  backup: { destination: BackupDestination; note: string | null },
): Promise<repo.BackupRow> {
  const saved: repo.BackupRow = {
    id: newId(),
    key_id: row.id,
    destination: backup.destination,
    note: backup.note,
    actor_user_id: caller.accountId,
    at: ctx.now().toISOString(),
  };
  await ctx.database.transaction(async (trx) => {
    await repo.insertBackup(trx, saved, offlineDestinations.includes(backup.destination));
    await ctx.audit.record(trx, caller, {
      action: 'key_backup_recorded',
      ...keyEvent(caller, access, row, { destination: backup.destination }),
    });
  });
  return saved;
}

export interface BackupView {
  id: string;
  destination: BackupDestination;
  at: string;
  note: string | null;
}

function backupView(row: repo.BackupRow): BackupView {
  return { id: row.id, destination: row.destination, at: row.at, note: row.note };
}

/**
 * Records a backup: a copy the person says they keep on a USB drive, as a file or on paper,
 * whether made here (a downloaded recovery file or sheet) or elsewhere.
 */
export async function addBackup(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  input: { destination: 'usb' | 'file' | 'print'; note?: string | undefined },
): Promise<BackupView> {
  const { access, row } = await keyInReach(ctx, caller, library, 'write', id);
  const note = input.note?.trim() ?? '';
  const saved = await recordBackup(ctx, caller, access, row, {
    destination: input.destination,
    note: note === '' ? null : note,
  });
  return backupView(saved);
}

export async function listBackups(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<BackupView[]> {
  const { row } = await keyInReach(ctx, caller, library, 'read', id);
  return (await repo.listBackups(ctx.db, row.id)).map(backupView);
}
