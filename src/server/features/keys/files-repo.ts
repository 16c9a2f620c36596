import { ownerColumns, type Owner, type OwnerColumns } from '../../../db/owners.js';
import type { UploadedFilesTable } from '../../../db/schema.js';
import { ownerFilter, type Db } from './owner-filter.js';

/**
 * Queries for uploaded key files, kept as they were sent with the keys they held.
 * Every function that reads or changes owned rows takes the owner and filters by it, so a row of
 * someone else is never found (and so answers like a missing one). Rows come back as plain
 * objects; the service decides what of them a response may show.
 */

// ---------------------------------------------------------------------------------------------
// Uploaded files

export type FileRow = UploadedFilesTable;

export async function insertFile(
  db: Db,
  owner: Owner,
  file: Omit<FileRow, keyof OwnerColumns>,
  keyIds: string[],
): Promise<void> {
  await db
    .insertInto('uploaded_files')
    .values({ ...file, ...ownerColumns(owner) })
    .execute();
  // In slices, so a file of thousands of keys stays within either database's parameter limit.
  for (let start = 0; start < keyIds.length; start += 1000) {
    await db
      .insertInto('uploaded_file_keys')
      .values(
        keyIds.slice(start, start + 1000).map((keyId) => ({ file_id: file.id, key_id: keyId })),
      )
      .execute();
  }
}

export function findFile(db: Db, owner: Owner, id: string): Promise<FileRow | undefined> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface FileWithKeysRow extends FileRow {
  key_ids: string[];
}

/** The owner's uploaded files, newest first, each with the ids of the keys it held. */
export async function listFiles(db: Db, owner: Owner): Promise<FileWithKeysRow[]> {
  const { column, value } = ownerFilter(owner);
  const files = await db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  if (files.length === 0) return [];
  const links = await db
    .selectFrom('uploaded_file_keys')
    .select(['file_id', 'key_id'])
    .where(
      'file_id',
      'in',
      files.map((file) => file.id),
    )
    .execute();
  return files.map((file) => ({
    ...file,
    key_ids: links.filter((link) => link.file_id === file.id).map((link) => link.key_id),
  }));
}

export async function setFileVault(
  db: Db,
  owner: Owner,
  id: string,
  inVaultAt: string | null,
): Promise<boolean> {
  const { column, value } = ownerFilter(owner);
  const result = await db
    .updateTable('uploaded_files')
    .set({ in_vault_at: inVaultAt })
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export function filesInVault(db: Db, owner: Owner): Promise<FileRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('uploaded_files')
    .selectAll()
    .where(column, '=', value)
    .where('in_vault_at', 'is not', null)
    .orderBy('in_vault_at', 'desc')
    .execute();
}
