import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  createTestDatabase,
  databaseKinds,
  type TestDatabase,
} from '../../test/server/databases.js';
import type { Database } from './database.js';
import { idPattern, newId } from './ids.js';
import { migrateToLatest } from './migrate.js';
import { preparedQuery } from './prepared-query.js';

for (const kind of databaseKinds) {
  describe(`storage on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    let database: Database;
    const at = new Date().toISOString();

    before(async () => {
      testDb = await createTestDatabase(kind.name);
      database = testDb.open();
    });
    after(async () => {
      await database.close();
      await testDb.cleanup();
    });

    it('creates the schema once; running the migrations again changes nothing', async () => {
      const applied = await migrateToLatest(database);
      assert.equal(applied[0], '2025-11-25-accounts-sessions-audit');
      assert.deepEqual(await migrateToLatest(database), []);
      const head = await database.db.selectFrom('audit_head').selectAll().execute();
      assert.deepEqual(head, [{ id: 1, last_seq: 0, last_hash: '' }]);
    });

    it('enforces foreign keys, roles and the one-owner rule', async () => {
      const userId = newId();
      await database.db
        .insertInto('users')
        .values({
          id: userId,
          email: 'Ada@example.org',
          email_normalized: 'ada@example.org',
          display_name: 'Ada',
          password_hash: 'x',
          password_changed_at: at,
          totp_enabled_at: null,
          totp_last_step: null,
          created_at: at,
          updated_at: at,
        })
        .execute();
      const orgId = newId();
      await database.db
        .insertInto('organisations')
        .values({ id: orgId, name: 'Org', created_at: at, updated_at: at })
        .execute();

      await assert.rejects(
        database.db
          .insertInto('sessions')
          .values({
            id: newId(),
            user_id: newId(),
            browser_id: newId(),
            created_at: at,
            last_used_at: at,
            expires_at: at,
            revoked_at: null,
            revoke_reason: null,
            forgotten_at: null,
            ip_address: null,
            user_agent: null,
          })
          .execute(),
        /foreign key/i,
      );
      await assert.rejects(
        sql`insert into memberships (organisation_id, user_id, role, created_at, updated_at)
            values (${orgId}, ${userId}, 'superuser', ${at}, ${at})`.execute(database.db),
        /check constraint|constraint failed/i,
      );
      await assert.rejects(
        database.db
          .insertInto('sealed_secrets')
          .values({
            id: newId(),
            owner_user_id: userId,
            owner_org_id: orgId,
            kind: 'test',
            bound_id: newId(),
            key_version: 1,
            wrapped_key: Buffer.alloc(60),
            ciphertext: Buffer.alloc(40),
            created_at: at,
            updated_at: at,
          })
          .execute(),
        /check constraint|constraint failed/i,
      );
    });

    it('runs statements sent in order in that order; one that fails fails alone', async () => {
      const ids = Array.from({ length: 40 }, () => newId());
      const sent: string[] = [];
      const stopWatching = database.watchStatements((text) => sent.push(text));
      const insert = (id: string) =>
        database.sendInOrder(
          sql`insert into organisations (id, name, created_at, updated_at)
              values (${id}, ${'Org'}, ${at}, ${at})`.compile(database.db),
        );
      const outcomes = await Promise.allSettled([
        ...ids.map((id) => insert(id)),
        // The same id again: refused, and only this statement is.
        insert(ids[5] ?? ''),
        // Sent after the inserts, so it sees them all.
        database.sendInOrder(
          sql`update organisations set name = ${'Renamed'} where id = ${ids[39] ?? ''}`.compile(
            database.db,
          ),
        ),
      ]);
      stopWatching();
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.equal(refused.length, 1);
      const [refusal] = refused;
      assert.ok(refusal?.status === 'rejected');
      assert.match(String(refusal.reason), /unique|duplicate/i);
      assert.equal(outcomes[40]?.status, 'rejected');
      const rows = await database.db
        .selectFrom('organisations')
        .select(['id', 'name'])
        .where('id', 'in', ids)
        .execute();
      assert.equal(rows.length, ids.length);
      assert.equal(rows.find((row) => row.id === ids[39])?.name, 'Renamed');
      if (database.dialect === 'postgres') {
        // Statements that waited for the connection went together, in one commit.
        assert.ok(sent.filter((text) => text === 'begin').length >= 1);
        assert.ok(sent.filter((text) => text === 'begin').length < ids.length);
      }
    });

    it('shows a prepared read outside a transaction only committed rows', async () => {
      const organisationNamed = preparedQuery((db, values: { name: string }) =>
        db.selectFrom('organisations').select('id').where('name', '=', values.name),
      );
      const insertOrganisation = (db: Database['db'], name: string) =>
        db
          .insertInto('organisations')
          .values({ id: newId(), name, created_at: at, updated_at: at })
          .execute();
      // Asked while a transaction that is later undone has written: never sees its row.
      let readDuringUndone: Promise<unknown[]> | undefined;
      await assert.rejects(
        database.transaction(async (trx) => {
          await insertOrganisation(trx, 'Undone');
          readDuringUndone = organisationNamed(database.db, { name: 'Undone' }, undefined);
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual(await readDuringUndone, []);
      // Asked while a transaction is open, about rows that were there before it: finds them.
      await insertOrganisation(database.db, 'Kept');
      let readDuringKept: Promise<unknown[]> | undefined;
      await database.transaction(async (trx) => {
        await insertOrganisation(trx, 'Written meanwhile');
        readDuringKept = organisationNamed(database.db, { name: 'Kept' }, undefined);
      });
      assert.equal((await readDuringKept)?.length, 1);
      assert.equal(
        (await organisationNamed(database.db, { name: 'Written meanwhile' }, undefined)).length,
        1,
      );
    });

    it('gives a prepared read every row with each column by name, values as stored', async () => {
      const ids = [newId(), newId(), newId()];
      for (const [index, id] of ids.entries()) {
        await database.db
          .insertInto('organisations')
          .values({ id, name: `Columns ${index}`, created_at: at, updated_at: at })
          .execute();
      }
      const organisations = preparedQuery((db, values: { prefix: string }) =>
        db
          .selectFrom('organisations')
          .selectAll()
          .select([sql<null>`null`.as('nothing'), sql<number>`2 + 3`.as('five')])
          .where('name', 'like', sql<string>`${values.prefix} || '%'`)
          .orderBy('name'),
      );
      const rows = await organisations(database.db, { prefix: 'Columns ' }, undefined);
      const built = await database.db
        .selectFrom('organisations')
        .selectAll()
        .select([sql<null>`null`.as('nothing'), sql<number>`2 + 3`.as('five')])
        .where('name', 'like', 'Columns %')
        .orderBy('name')
        .execute();
      assert.equal(rows.length, 3);
      assert.deepEqual(rows, built);
      assert.deepEqual(
        rows.map((row) => [row.id, row.name, row.nothing, row.five]),
        ids.map((id, index) => [id, `Columns ${index}`, null, 5]),
      );
    });

    it('keeps binary values and timestamps as written', async () => {
      const id = newId();
      const bytes = Buffer.from([0, 1, 2, 250, 251, 255]);
      await database.db
        .insertInto('sealed_secrets')
        .values({
          id,
          owner_user_id: null,
          owner_org_id: null,
          kind: 'roundtrip',
          bound_id: id,
          key_version: 7,
          wrapped_key: bytes,
          ciphertext: bytes,
          created_at: at,
          updated_at: at,
        })
        .execute();
      const row = await database.db
        .selectFrom('sealed_secrets')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(Buffer.from(row.ciphertext), bytes);
      assert.equal(row.key_version, 7);
      assert.equal(row.created_at, at);
    });

    if (kind.name === 'sqlite') {
      it('runs SQLite with WAL, synchronous=FULL and foreign keys on, in files only its owner reads', async () => {
        const pragma = async (name: string) =>
          (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(database.db)).rows[0];
        assert.deepEqual(await pragma('journal_mode'), { journal_mode: 'wal' });
        assert.deepEqual(await pragma('synchronous'), { synchronous: 2 });
        assert.deepEqual(await pragma('foreign_keys'), { foreign_keys: 1 });
        for (const file of ['keyhold.db', 'keyhold.db-wal']) {
          assert.equal((await stat(join(testDb.dataDir, file))).mode & 0o777, 0o600, file);
        }
      });
    }
  });
}

describe('ids', () => {
  it('are random UUIDv7s that sort by creation time', () => {
    const first = newId(1_700_000_000_000);
    const second = newId(1_700_000_000_001);
    assert.match(first, idPattern);
    assert.ok(first < second);
    assert.notEqual(newId(5), newId(5));
  });
});
