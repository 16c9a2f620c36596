/**
 * Seeding for the server benchmarks: realistic rows written in bulk, straight into the database
 * (what adding them through the API would take hours for), sealed as the server seals them.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import { keyToRecoveryPassword } from '../../src/bitlocker/recovery-password.js';
import { sealValue } from '../../src/crypto/envelope.js';
import type { MasterKey } from '../../src/crypto/master-key.js';
import { loadKeyring } from '../../src/crypto/master-key.js';
import type { Database } from '../../src/db/database.js';
import { newId } from '../../src/db/ids.js';
import { ownerColumns, type Owner } from '../../src/db/owners.js';
import type {
  DatabaseSchema,
  DeviceTermsTable,
  DevicesTable,
  KeyBackupsTable,
  RecoveryKeysTable,
  SealedSecretsTable,
  VolumesTable,
} from '../../src/db/schema.js';
import {
  nameTerms,
  normalizeName,
  recoveryPasswordKind,
} from '../../src/server/features/keys/index.js';

/**
 * A name like the ones Windows gives new PCs (DESKTOP- and 7 letters or digits), distinct for
 * every n: multiplying by a number coprime to 36^7 permutes the 7-character space.
 */
export function windowsStyleName(n: number): string {
  const space = 36 ** 7;
  return `DESKTOP-${((n * 2_654_435_761) % space).toString(36).toUpperCase().padStart(7, '0')}`;
}

export interface SeedOptions {
  /** Whose library: an account's or an organisation's. */
  owner: Owner;
  /** The account recorded as having made each key's "account" backup. */
  actorUserId: string;
  count: number;
  /** Device names continue from this number, so libraries seeded one after another differ. */
  firstDevice?: number;
  /** Every n-th key is answered as a sample (`id protectorHex`). */
  sampleEvery?: number;
  /** Prints the count as it grows (for one large library). */
  showProgress?: boolean;
}

/** A device row and its name search terms. */
export function deviceRows(
  owner: Owner,
  id: string,
  name: string,
  at: string,
): { device: DevicesTable; terms: DeviceTermsTable[] } {
  const columns = ownerColumns(owner);
  return {
    device: {
      id,
      ...columns,
      name,
      name_normalized: normalizeName(name),
      assigned_user_id: null,
      last_seen_at: at,
      created_at: at,
      updated_at: at,
    },
    terms: nameTerms(name).map((term) => ({ device_id: id, ...columns, term })),
  };
}

export interface KeyRowsSpec {
  deviceId: string;
  label: string;
  type: VolumesTable['type'];
  at: string;
  /** The time the ids are made for (ids sort by it). */
  idTimeMs: number;
  source: string;
  protectorTypes: string | null;
}

/**
 * One drive of a device with its BitLocker recovery key: the volume row, the key row and the
 * key's recovery password sealed exactly as the server seals it.
 */
export function keyRows(
  masterKey: MasterKey,
  owner: Owner,
  spec: KeyRowsSpec,
): { volume: VolumesTable; key: RecoveryKeysTable; secret: SealedSecretsTable } {
  const columns = ownerColumns(owner);
  const { at } = spec;
  const volumeId = newId(spec.idTimeMs);
  const keyId = newId(spec.idTimeMs);
  const secretId = newId(spec.idTimeMs);
  const sealed = sealValue(
    masterKey,
    { secretId, kind: recoveryPasswordKind, boundId: keyId, owner },
    Buffer.from(keyToRecoveryPassword(randomBytes(16)), 'utf8'),
  );
  return {
    volume: {
      id: volumeId,
      ...columns,
      device_id: spec.deviceId,
      label: spec.label,
      type: spec.type,
      volume_guid: null,
      protector_types: spec.protectorTypes,
      created_at: at,
      updated_at: at,
    },
    key: {
      id: keyId,
      ...columns,
      protector_hex: randomBytes(16).toString('hex').toUpperCase(),
      kind: 'bitlocker' as const,
      luks_uuid_hex: null,
      luks_slot: null,
      volume_id: volumeId,
      source: spec.source,
      backup_count: 1,
      last_backup_destination: 'account' as const,
      last_backup_at: at,
      offline_backup_at: null,
      in_vault_at: null,
      deleted_at: null,
      created_at: at,
      updated_at: at,
      rotation_required_at: null,
      proven_at: null,
    },
    secret: {
      id: secretId,
      ...columns,
      kind: recoveryPasswordKind,
      bound_id: keyId,
      key_version: sealed.keyVersion,
      wrapped_key: sealed.wrappedKey,
      ciphertext: sealed.ciphertext,
      created_at: at,
      updated_at: at,
    },
  };
}

/**
 * `count` keys for one library, on count/2 devices with an OS and a data volume each, each key
 * with its recovery password sealed exactly as the server seals it and its "account" backup.
 * Answers `id protectorHex` of every `sampleEvery`-th key (100th by default).
 */
export async function seedLibrary(
  database: Database,
  dataDir: string,
  {
    owner,
    actorUserId,
    count,
    firstDevice = 0,
    sampleEvery = 100,
    showProgress = true,
  }: SeedOptions,
): Promise<string[]> {
  const masterKey = loadKeyring({ dataDir }).keyring.current();
  const batchSize = 2000;
  if (database.dialect === 'sqlite') {
    // This connection only: a large page cache keeps the randomly ordered Key ID index in memory
    // while it grows, and a crash while seeding costs nothing but a re-run.
    await sql`pragma cache_size = -1048576`.execute(database.db);
    await sql`pragma synchronous = off`.execute(database.db);
  }
  const samples: string[] = [];
  const started = Date.now() - count * 60_000;
  const progressEvery = Math.max(batchSize, Math.floor(count / 10 / batchSize) * batchSize);
  for (let first = 0; first < count; first += batchSize) {
    const devices: DevicesTable[] = [];
    const terms: DeviceTermsTable[] = [];
    const volumes: VolumesTable[] = [];
    const keys: RecoveryKeysTable[] = [];
    const backups: KeyBackupsTable[] = [];
    const secrets: SealedSecretsTable[] = [];
    for (let i = first; i < Math.min(count, first + batchSize); i += 2) {
      const createdMs = started + i * 60_000;
      const at = new Date(createdMs).toISOString();
      const deviceId = newId(createdMs);
      const device = deviceRows(owner, deviceId, windowsStyleName(firstDevice + i / 2), at);
      devices.push(device.device);
      terms.push(...device.terms);
      for (const [offset, label, type] of [
        [0, 'C:', 'os'],
        [1, 'D:', 'fixed'],
      ] as const) {
        if (i + offset >= count) break;
        const keyAt = new Date(createdMs + offset * 60_000).toISOString();
        const drive = keyRows(masterKey, owner, {
          deviceId,
          label,
          type,
          at: keyAt,
          idTimeMs: createdMs + offset * 60_000,
          source: 'manual',
          protectorTypes: null,
        });
        volumes.push(drive.volume);
        keys.push(drive.key);
        secrets.push(drive.secret);
        backups.push({
          id: newId(createdMs),
          key_id: drive.key.id,
          destination: 'account' as const,
          note: null,
          actor_user_id: actorUserId,
          at: keyAt,
        });
        if ((i + offset) % sampleEvery === 0)
          samples.push(`${drive.key.id} ${drive.key.protector_hex}`);
      }
    }
    await database.db.transaction().execute(async (trx) => {
      await insertInChunks(trx, 'devices', devices);
      await insertInChunks(trx, 'device_terms', terms);
      await insertInChunks(trx, 'volumes', volumes);
      await insertInChunks(trx, 'recovery_keys', keys);
      await insertInChunks(trx, 'key_backups', backups);
      await insertInChunks(trx, 'sealed_secrets', secrets);
    });
    if (showProgress && (first + batchSize) % progressEvery === 0) {
      process.stdout.write(`  seeded ${Math.min(count, first + batchSize).toLocaleString('en')}\r`);
    }
  }
  return samples;
}

/** SQLite takes at most 32,766 values in one statement: a batch's rows go in as many as needed. */
const valuesPerStatement = 32_000;

export async function insertInChunks<Table extends keyof DatabaseSchema>(
  db: Kysely<DatabaseSchema>,
  table: Table,
  rows: Insertable<DatabaseSchema[Table]>[],
): Promise<void> {
  const columns = Object.keys(rows[0] ?? {}).length;
  const rowsPerStatement = Math.max(1, Math.floor(valuesPerStatement / Math.max(1, columns)));
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + rowsPerStatement))
      .execute();
  }
}
