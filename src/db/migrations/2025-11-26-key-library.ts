import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The key library: devices and their volumes, recovery keys (the password itself is a sealed
 * secret), backups of each key, uploaded key files, the vault's unlock state and help-article
 * feedback.
 *
 * Owned rows carry `owner_user_id` / `owner_org_id` (exactly one set). Each index that serves a
 * per-owner lookup exists twice, once per owner column, as a partial index, so it holds only the
 * rows it can ever match. Search columns compare byte-wise on both databases (PostgreSQL gets
 * `collate "C"`), so a prefix is found with a range `>= prefix and < successor` on the index.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const byteOrder = dialect === 'postgres' ? sql`collate "C"` : sql`collate binary`;

  /** A table whose rows belong to a user or an organisation, never both, never neither. */
  const createOwnedTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('owner_user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
      .addColumn('owner_org_id', 'text', (col) =>
        col.references('organisations.id').onDelete('cascade'),
      )
      .addCheckConstraint(
        `${name}_one_owner`,
        sql`(owner_user_id is null) <> (owner_org_id is null)`,
      );

  /** One index per owner column, each holding only that owner kind's rows. */
  const createPerOwnerIndex = async (
    name: string,
    table: string,
    columns: string[],
    { unique = false }: { unique?: boolean } = {},
  ) => {
    for (const [suffix, column] of [
      ['user', 'owner_user_id'],
      ['org', 'owner_org_id'],
    ] as const) {
      const index = db.schema
        .createIndex(`${name}_${suffix}`)
        .on(table)
        .columns([column, ...columns])
        .where(sql.ref(column), 'is not', null);
      await (unique ? index.unique() : index).execute();
    }
  };

  await createOwnedTable('devices')
    .addColumn('name', 'text', (col) => col.notNull())
    /** Trimmed, NFKC, lower case: one device per owner and name, however it is typed. */
    .addColumn('name_normalized', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await createPerOwnerIndex('devices_name', 'devices', ['name_normalized'], { unique: true });

  // The words of a device name (and the whole name), so a search finds "laptop" in "Ada's laptop".
  await db.schema
    .createTable('device_terms')
    .addColumn('device_id', 'text', (col) =>
      col.notNull().references('devices.id').onDelete('cascade'),
    )
    .addColumn('owner_user_id', 'text')
    .addColumn('owner_org_id', 'text')
    .addColumn('term', 'text', (col) => col.notNull().modifyEnd(byteOrder))
    .addPrimaryKeyConstraint('device_terms_pk', ['device_id', 'term'])
    .execute();
  await createPerOwnerIndex('device_terms_term', 'device_terms', ['term']);

  await createOwnedTable('volumes')
    .addColumn('device_id', 'text', (col) =>
      col.notNull().references('devices.id').onDelete('cascade'),
    )
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('volume_guid', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint('volumes_type', sql`type in ('os', 'fixed', 'removable')`)
    .execute();
  await db.schema
    .createIndex('volumes_device')
    .on('volumes')
    .columns(['device_id', 'label'])
    .execute();

  await createOwnedTable('recovery_keys')
    /** The key protector ID as 32 upper-case hex digits, no dashes: what prefix search ranges over. */
    .addColumn('protector_hex', 'text', (col) => col.notNull().modifyEnd(byteOrder))
    .addColumn('volume_id', 'text', (col) => col.notNull().references('volumes.id'))
    .addColumn('source', 'text', (col) => col.notNull())
    // A summary of key_backups, kept with the key so a list page needs no aggregation.
    .addColumn('backup_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_backup_destination', 'text')
    .addColumn('last_backup_at', 'text')
    .addColumn('offline_backup_at', 'text')
    .addColumn('in_vault_at', 'text')
    .addColumn('deleted_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  // One copy of a key per owner; the same index answers Key ID prefix searches.
  await createPerOwnerIndex('recovery_keys_protector', 'recovery_keys', ['protector_hex'], {
    unique: true,
  });
  // The library's order: newest first, paged by (created_at, id).
  await createPerOwnerIndex('recovery_keys_created', 'recovery_keys', ['created_at', 'id']);
  await db.schema
    .createIndex('recovery_keys_volume')
    .on('recovery_keys')
    .columns(['volume_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('recovery_keys_deleted')
    .on('recovery_keys')
    .column('deleted_at')
    .where('deleted_at', 'is not', null)
    .execute();

  await db.schema
    .createTable('key_backups')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('key_id', 'text', (col) =>
      col.notNull().references('recovery_keys.id').onDelete('cascade'),
    )
    .addColumn('destination', 'text', (col) => col.notNull())
    .addColumn('note', 'text')
    .addColumn('actor_user_id', 'text')
    .addColumn('at', 'text', (col) => col.notNull())
    .addCheckConstraint(
      'key_backups_destination',
      sql`destination in ('account', 'usb', 'file', 'print', 'vault')`,
    )
    .execute();
  await db.schema
    .createIndex('key_backups_key')
    .on('key_backups')
    .columns(['key_id', 'at'])
    .execute();

  await createOwnedTable('uploaded_files')
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('size', 'integer', (col) => col.notNull())
    /** What the content was read as (`KeySource.format`). */
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('in_vault_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await createPerOwnerIndex('uploaded_files_created', 'uploaded_files', ['created_at', 'id']);

  await db.schema
    .createTable('uploaded_file_keys')
    .addColumn('file_id', 'text', (col) =>
      col.notNull().references('uploaded_files.id').onDelete('cascade'),
    )
    .addColumn('key_id', 'text', (col) =>
      col.notNull().references('recovery_keys.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('uploaded_file_keys_pk', ['file_id', 'key_id'])
    .execute();
  await db.schema
    .createIndex('uploaded_file_keys_key')
    .on('uploaded_file_keys')
    .column('key_id')
    .execute();

  // An unlocked vault belongs to one session: signing out or another browser starts locked.
  await db.schema
    .createTable('vault_unlocks')
    .addColumn('session_id', 'text', (col) =>
      col.primaryKey().references('sessions.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('unlocked_at', 'text', (col) => col.notNull())
    .addColumn('last_activity_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('feedback')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('article', 'text', (col) => col.notNull())
    .addColumn('helpful', 'integer', (col) => col.notNull())
    .addColumn('language_quality', 'integer')
    /** A JSON array of short reason codes. */
    .addColumn('reasons', 'text', (col) => col.notNull())
    .addColumn('comment', 'text')
    .addColumn('language', 'text')
    .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addCheckConstraint('feedback_helpful', sql`helpful in (0, 1)`)
    .addCheckConstraint(
      'feedback_language_quality',
      sql`language_quality is null or language_quality between 1 and 5`,
    )
    .execute();
  await db.schema
    .createIndex('feedback_article')
    .on('feedback')
    .columns(['article', 'created_at'])
    .execute();
  await db.schema.createIndex('feedback_created').on('feedback').column('created_at').execute();
}
