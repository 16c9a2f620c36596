import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Keys of LUKS volumes beside BitLocker ones: each key says which kind it is, and a LUKS key
 * carries its volume's LUKS UUID (32 upper-case hex digits without dashes, the form a prefix
 * search ranges over, as for Key IDs) and the key slot that holds it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const byteOrder = dialect === 'postgres' ? sql`collate "C"` : sql`collate binary`;
  await db.schema
    .alterTable('recovery_keys')
    .addColumn('kind', 'text', (col) => col.notNull().defaultTo('bitlocker'))
    .execute();
  await db.schema
    .alterTable('recovery_keys')
    .addColumn('luks_uuid_hex', 'text', (col) => col.modifyEnd(byteOrder))
    .execute();
  await db.schema.alterTable('recovery_keys').addColumn('luks_slot', 'integer').execute();
  // LUKS UUID prefix search, per owner, over the few keys that have one.
  for (const [suffix, column] of [
    ['user', 'owner_user_id'],
    ['org', 'owner_org_id'],
  ] as const) {
    await db.schema
      .createIndex(`recovery_keys_luks_uuid_${suffix}`)
      .on('recovery_keys')
      .columns([column, 'luks_uuid_hex'])
      .where(sql.ref('luks_uuid_hex'), 'is not', null)
      .execute();
  }
}
