import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import fc from 'fast-check';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type CompiledQuery,
  type LogEvent,
} from 'kysely';
import pg from 'pg';
import {
  databaseKinds,
  createTestDatabase,
  type TestDatabase,
} from '../../../../test/server/databases.js';
import { preparedStatementSettings, sqliteFileName, type Database } from '../../../db/database.js';
import { newId } from '../../../db/ids.js';
import { migrateToLatest } from '../../../db/migrate.js';
import { userOwner } from '../../../db/owners.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import { nameTerms, normalizeName, prefixSuccessor } from './normalize.js';
import { listKeysInProtectorRange, searchKeys } from './repo.js';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('prefix ranges', () => {
  it('bounds exactly the strings that start with the prefix, in byte order', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 6 }),
        fc.string({ unit: 'grapheme', maxLength: 6 }),
        (prefix, text) => {
          const successor = prefixSuccessor(prefix);
          const inRange =
            utf8Order(text, prefix) >= 0 &&
            (successor === undefined || utf8Order(text, successor) < 0);
          assert.equal(inRange, text.startsWith(prefix), JSON.stringify([prefix, text]));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('ends hex prefixes and awkward code points correctly', () => {
    assert.equal(prefixSuccessor('0A3F'), '0A3G');
    assert.equal(prefixSuccessor('64311DE9'), '64311DE:');
    assert.equal(prefixSuccessor('a\u{10FFFF}'), 'b');
    assert.equal(prefixSuccessor('x\uD7FF'), 'x\uE000');
    assert.equal(prefixSuccessor('\u{10FFFF}'), undefined);
    assert.equal(prefixSuccessor(''), undefined);
  });

  it('searches device names by the whole name and by each word', () => {
    assert.equal(normalizeName('  Ada’s   ＬＡＰＴＯＰ '), 'ada’s laptop');
    assert.deepEqual(nameTerms('DESKTOP-4F3K2L1'), ['desktop-4f3k2l1', 'desktop', '4f3k2l1']);
    assert.deepEqual(nameTerms("Kåre's PC"), ["kåre's pc", 'kåre', 's', 'pc']);
  });
});

/** One account with `count` keys on as many devices, with planner statistics gathered. */
async function seedLibrary(database: Database, count: number) {
  const userId = newId();
  const at = new Date().toISOString();
  await database.db
    .insertInto('users')
    .values({
      id: userId,
      email: `${userId}@example.org`,
      email_normalized: `${userId}@example.org`,
      display_name: 'Seed',
      password_hash: 'x',
      password_changed_at: at,
      totp_enabled_at: null,
      totp_last_step: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  const owner = { owner_user_id: userId, owner_org_id: null };
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, index) => {
      const hex = randomBytes(16).toString('hex').toUpperCase();
      const name = `DESKTOP-${String(start + index).padStart(7, '0')}`;
      return { deviceId: newId(), volumeId: newId(), keyId: newId(), hex, name };
    });
    await database.db
      .insertInto('devices')
      .values(
        batch.map((row) => ({
          id: row.deviceId,
          ...owner,
          name: row.name,
          name_normalized: normalizeName(row.name),
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    await database.db
      .insertInto('device_terms')
      .values(
        batch.flatMap((row) =>
          nameTerms(row.name).map((term) => ({
            device_id: row.deviceId,
            ...owner,
            term,
          })),
        ),
      )
      .execute();
    await database.db
      .insertInto('volumes')
      .values(
        batch.map((row) => ({
          id: row.volumeId,
          ...owner,
          device_id: row.deviceId,
          label: 'C:',
          type: 'os' as const,
          volume_guid: null,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    await database.db
      .insertInto('recovery_keys')
      .values(
        batch.map((row) => ({
          id: row.keyId,
          ...owner,
          protector_hex: row.hex,
          kind: 'bitlocker' as const,
          volume_id: row.volumeId,
          source: 'seed',
          backup_count: 1,
          last_backup_destination: 'account' as const,
          last_backup_at: at,
          offline_backup_at: null,
          in_vault_at: null,
          deleted_at: null,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
  }
  await sql`analyze`.execute(database.db);
  return userOwner(userId);
}

/** What the database plans for the queries a search sends, with the actual SQL and values. */
async function plansOf(database: Database, queries: CompiledQuery[]): Promise<string[]> {
  const plans: string[] = [];
  for (const query of queries) {
    const statement = database.dialect === 'sqlite' ? 'explain query plan' : 'explain';
    const rows = await database.db.transaction().execute(async (trx) => {
      return (
        await trx.executeQuery<Record<string, unknown>>({
          ...query,
          sql: `${statement} ${query.sql}`,
        })
      ).rows;
    });
    plans.push(rows.map((row) => Object.values(row).join(' ')).join('\n'));
  }
  return plans;
}

for (const kind of databaseKinds) {
  describe(`the search indexes on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    let database: Database;
    let logged: CompiledQuery[] = [];
    let db: Kysely<DatabaseSchema>;

    before(async () => {
      testDb = await createTestDatabase(kind.name);
      database = testDb.open();
      await migrateToLatest(database);
      // A second connection to the same database that records every query it runs.
      const log = (event: LogEvent) => {
        logged.push(event.query);
      };
      db =
        kind.name === 'sqlite'
          ? new Kysely<DatabaseSchema>({
              dialect: new SqliteDialect({
                database: new SqliteDatabase(join(testDb.dataDir, sqliteFileName)),
              }),
              log,
            })
          : new Kysely<DatabaseSchema>({
              dialect: new PostgresDialect({
                pool: new pg.Pool({ connectionString: testDb.databaseUrl, max: 1 }),
              }),
              log,
            });
    });
    after(async () => {
      await db.destroy();
      await database.close();
      await testDb.cleanup();
    });

    it('finds a Key ID prefix and a device name on their indexes, in one statement', async () => {
      const owner = await seedLibrary(database, 5000);
      logged = [];
      const page = { deleted: false, after: undefined, limit: 50 };
      await searchKeys(
        db,
        owner,
        {
          keyIds: { from: '64311DEA', to: '64311DEB' },
          names: { from: 'desktop-000001', to: 'desktop-000002' },
        },
        page,
      );
      assert.equal(logged.length, 1, 'a search is one statement');
      await listKeysInProtectorRange(db, owner, { from: '64311DEA', to: '64311DEB' }, page);
      const [searchPlan, keyIdPlan] = await plansOf(database, logged);
      for (const plan of [searchPlan, keyIdPlan]) {
        assert.match(plan ?? '', /recovery_keys_protector_user/);
      }
      assert.match(searchPlan ?? '', /device_terms_term_user/);
      assert.match(searchPlan ?? '', /recovery_keys_volume/);
      assert.doesNotMatch(searchPlan ?? '', /\bSCAN (k|recovery_keys)\b|Seq Scan on recovery_keys/);
    });

    it(
      'keeps one plan for every search that stays on the indexes',
      { skip: kind.name !== 'postgres' && 'PostgreSQL plans only' },
      async () => {
        const owner = await seedLibrary(database, 5000);
        logged = [];
        await searchKeys(
          db,
          owner,
          {
            keyIds: { from: '64311DEA', to: '64311DEB' },
            names: { from: 'desktop', to: 'desktoq' },
          },
          { deleted: false, after: undefined, limit: 50 },
        );
        const [search] = logged;
        assert.ok(search);
        // The plan the prepared queries' connections keep: made without the values, under their
        // session settings.
        const plan = await database.db.transaction().execute(async (trx) => {
          for (const [name, value] of Object.entries(preparedStatementSettings)) {
            await sql`select set_config(${name}, ${value}, true)`.execute(trx);
          }
          await sql.raw(`prepare kept_search as ${search.sql}`).execute(trx);
          const values = search.parameters.map((value) => sql.lit(String(value)));
          const { rows } = await sql<
            Record<string, string>
          >`explain execute kept_search(${sql.join(values)})`.execute(trx);
          await sql`deallocate kept_search`.execute(trx);
          return rows.map((row) => Object.values(row).join(' ')).join('\n');
        });
        assert.match(plan, /\$1/, 'a plan made without the values');
        assert.match(plan, /recovery_keys_protector_user/);
        assert.match(plan, /device_terms_term_user/);
        assert.match(plan, /recovery_keys_volume/);
        assert.doesNotMatch(plan, /Seq Scan|Parallel|JIT/);
      },
    );
  });
}
