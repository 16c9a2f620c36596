import type { ExpressionBuilder } from 'kysely';
import type { Owner } from '../../../db/owners.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import { recoveryPasswordKind, uploadedFileKind } from './keys-repo.js';
import { ownerFilter, type Db } from './owner-filter.js';

/** Removing keys in the bin for good, with everything that hangs off them. */

/** What a purge removed: the keys, and the files and devices nothing else needed. */
export interface Purged {
  keyIds: string[];
  fileIds: string[];
  deviceIds: string[];
}

/** Bound parameters per statement, well below what SQLite and PostgreSQL accept. */
const idsPerStatement = 500;

async function forEachChunk(ids: string[], work: (chunk: string[]) => Promise<unknown>) {
  for (let start = 0; start < ids.length; start += idsPerStatement) {
    await work(ids.slice(start, start + idsPerStatement));
  }
}

/** Which keys in the bin a purge takes: all deleted before a time, or one key of an owner. */
type PurgeSelection = { deletedBefore: string } | { owner: Owner; id: string };

function inPurgeSelection(
  eb: ExpressionBuilder<DatabaseSchema, 'recovery_keys'>,
  selection: PurgeSelection,
) {
  if ('deletedBefore' in selection) {
    return eb.and([
      eb('deleted_at', 'is not', null),
      eb('deleted_at', '<', selection.deletedBefore),
    ]);
  }
  const { column, value } = ownerFilter(selection.owner);
  return eb.and([
    eb('deleted_at', 'is not', null),
    eb(column, '=', value),
    eb('id', '=', selection.id),
  ]);
}

/**
 * Removes keys deleted before `before` with everything that hangs off them: their sealed
 * passwords and backups, the uploaded files that held only purged keys (with the sealed file),
 * and the volumes and devices (with their name terms) no other key is on. Nothing of a purged
 * key stays listed, searchable or downloadable.
 */
export function purgeKeysDeletedBefore(db: Db, before: string): Promise<Purged> {
  return purgeKeys(db, { deletedBefore: before });
}

/** The same purge for one key of the owner, and only while it is in the bin. */
export function purgeDeletedKey(db: Db, owner: Owner, id: string): Promise<Purged> {
  return purgeKeys(db, { owner, id });
}

async function purgeKeys(db: Db, selection: PurgeSelection): Promise<Purged> {
  const expired = await db
    .selectFrom('recovery_keys')
    .select(['id', 'volume_id'])
    .where((eb) => inPurgeSelection(eb, selection))
    .execute();
  const keyIds: string[] = [];
  const linkedFiles = new Set<string>();
  await forEachChunk(
    expired.map((row) => row.id),
    async (chunk) => {
      const links = await db
        .selectFrom('uploaded_file_keys')
        .select('file_id')
        .where('key_id', 'in', chunk)
        .execute();
      for (const link of links) linkedFiles.add(link.file_id);
      // The same condition again: a key restored meanwhile (PostgreSQL) stays.
      const deleted = await db
        .deleteFrom('recovery_keys')
        .where('id', 'in', chunk)
        .where((eb) => inPurgeSelection(eb, selection))
        .returning('id')
        .execute();
      const ids = deleted.map((row) => row.id);
      keyIds.push(...ids);
      if (ids.length === 0) return;
      await db
        .deleteFrom('sealed_secrets')
        .where('kind', '=', recoveryPasswordKind)
        .where('bound_id', 'in', ids)
        .execute();
    },
  );
  // Deleting the keys removed their links to files (on delete cascade): a file they were in
  // that has no link left held only purged keys.
  const fileIds: string[] = [];
  await forEachChunk([...linkedFiles], async (chunk) => {
    const deleted = await db
      .deleteFrom('uploaded_files')
      .where('id', 'in', chunk)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('uploaded_file_keys')
              .select('uploaded_file_keys.key_id')
              .whereRef('uploaded_file_keys.file_id', '=', 'uploaded_files.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    const ids = deleted.map((row) => row.id);
    fileIds.push(...ids);
    if (ids.length === 0) return;
    await db
      .deleteFrom('sealed_secrets')
      .where('kind', '=', uploadedFileKind)
      .where('bound_id', 'in', ids)
      .execute();
  });
  const volumeIds = [...new Set(expired.map((row) => row.volume_id))];
  const deviceIds: string[] = [];
  await forEachChunk(volumeIds, async (chunk) => {
    const emptied = await db
      .deleteFrom('volumes')
      .where('id', 'in', chunk)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('recovery_keys')
              .select('recovery_keys.id')
              .whereRef('recovery_keys.volume_id', '=', 'volumes.id'),
          ),
        ),
      )
      .returning('device_id')
      .execute();
    const devices = [...new Set(emptied.map((row) => row.device_id))];
    if (devices.length === 0) return;
    // Their name terms go with them (on delete cascade).
    const removed = await db
      .deleteFrom('devices')
      .where('id', 'in', devices)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('volumes')
              .select('volumes.id')
              .whereRef('volumes.device_id', '=', 'devices.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    deviceIds.push(...removed.map((row) => row.id));
  });
  return { keyIds, fileIds, deviceIds };
}
