import { idPattern } from '../../../db/ids.js';
import { userOwner } from '../../../db/owners.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { requireOpenVault } from '../vault/index.js';
import * as repo from './repo.js';

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

export async function listFiles(ctx: ServerContext, caller: Caller): Promise<UploadedFileView[]> {
  return (await repo.listFiles(ctx.db, userOwner(caller.accountId))).map(fileView);
}

async function ownFile(ctx: ServerContext, caller: Caller, id: string): Promise<repo.FileRow> {
  const file = idPattern.test(id)
    ? await repo.findFile(ctx.db, userOwner(caller.accountId), id)
    : undefined;
  if (!file) throw new NotFoundError('The file');
  return file;
}

function fileEvent(file: repo.FileRow) {
  return {
    details: { fileId: file.id, fileName: file.file_name, inVault: file.in_vault_at !== null },
  };
}

/** The file's original bytes; audited, and through an open vault when it is in the vault. */
export async function downloadFile(
  ctx: ServerContext,
  caller: Caller,
  id: string,
): Promise<{ fileName: string; bytes: Buffer }> {
  const file = await ownFile(ctx, caller, id);
  if (file.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const owner = userOwner(caller.accountId);
  const bytes = await ctx.secrets.get(ctx.db, { kind: repo.uploadedFileKind, boundId: id, owner });
  if (!bytes) throw new Error(`uploaded file ${id} has no stored content`);
  await ctx.audit.recordAlone(caller, { action: 'file_downloaded', ...fileEvent(file) });
  return { fileName: file.file_name, bytes };
}

/** Into the vault needs no unlock; out of it does. */
export async function setFileInVault(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  inVault: boolean,
): Promise<void> {
  const file = await ownFile(ctx, caller, id);
  if ((file.in_vault_at !== null) === inVault) return;
  if (!inVault) await requireOpenVault(ctx, caller);
  await ctx.database.transaction(async (trx) => {
    await repo.setFileVault(
      trx,
      userOwner(caller.accountId),
      id,
      inVault ? ctx.now().toISOString() : null,
    );
    await ctx.audit.record(trx, caller, {
      action: inVault ? 'file_moved_to_vault' : 'file_moved_out_of_vault',
      ...fileEvent(file),
    });
  });
}
