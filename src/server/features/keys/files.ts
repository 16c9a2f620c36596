import { idPattern } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { authorize, type Library, type LibraryAccess, type LibraryAction } from '../../policies.js';
import { requireOpenVault } from '../vault/index.js';
import * as repo from './repo.js';
import { downloadAction, librarySubject, notFoundLibrary } from './key-access.js';
import { things } from '../../messages.js';

/** Uploaded key files, kept encrypted as they were sent so the original can be downloaded. */
export interface UploadedFileView {
  id: string;
  fileName: string;
  size: number;
  format: string;
  createdAt: string;
  inVault: boolean;
  keyIds: string[];
}

function fileView(row: repo.FileWithKeysRow): UploadedFileView {
  return {
    id: row.id,
    fileName: row.file_name,
    size: row.size,
    format: row.format,
    createdAt: row.created_at,
    inVault: row.in_vault_at !== null,
    keyIds: row.key_ids,
  };
}

/**
 * A file may hold the keys of several devices, so it is in reach only of those who reach the
 * whole library, not of an organisation's members who see their own devices.
 */
function reachesFiles(access: LibraryAccess): boolean {
  return access.assignee === undefined;
}

export async function listFiles(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
): Promise<UploadedFileView[]> {
  const access = authorize(caller, 'read', library, notFoundLibrary(library));
  if (!reachesFiles(access)) return [];
  return (await repo.listFiles(ctx.db, access.owner)).map(fileView);
}

async function fileInReach(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  action: LibraryAction,
  id: string,
): Promise<{ access: LibraryAccess; file: repo.FileRow }> {
  const access = authorize(caller, action, library, things.file);
  const file =
    idPattern.test(id) && reachesFiles(access)
      ? await repo.findFile(ctx.db, access.owner, id)
      : undefined;
  if (!file) throw new NotFoundError(things.file);
  return { access, file };
}

function fileEvent(caller: Caller, access: LibraryAccess, file: repo.FileRow) {
  return {
    ...librarySubject(access),
    details: { fileId: file.id, fileName: file.file_name, inVault: file.in_vault_at !== null },
  };
}

/** The file's original bytes; audited, and through an open vault when it is in the vault. */
export async function downloadFile(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<{ fileName: string; bytes: Buffer }> {
  const { access, file } = await fileInReach(ctx, caller, library, downloadAction(library), id);
  if (file.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const bytes = await ctx.secrets.get(ctx.db, {
    kind: repo.uploadedFileKind,
    boundId: id,
    owner: access.owner,
  });
  if (!bytes) throw new Error(`uploaded file ${id} has no stored content`);
  await ctx.audit.recordAlone(caller, {
    action: 'file_downloaded',
    ...fileEvent(caller, access, file),
  });
  return { fileName: file.file_name, bytes };
}

/** Into the vault needs no unlock; out of it does. */
export async function setFileInVault(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  inVault: boolean,
): Promise<void> {
  const { access, file } = await fileInReach(ctx, caller, library, 'write', id);
  if ((file.in_vault_at !== null) === inVault) return;
  if (!inVault) await requireOpenVault(ctx, caller);
  await ctx.database.transaction(async (trx) => {
    await repo.setFileVault(trx, access.owner, id, inVault ? ctx.now().toISOString() : null);
    await ctx.audit.record(trx, caller, {
      action: inVault ? 'file_moved_to_vault' : 'file_moved_out_of_vault',
      ...fileEvent(caller, access, file),
    });
  });
}
