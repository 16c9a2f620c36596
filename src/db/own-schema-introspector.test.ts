import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, databaseKinds } from '../../test/server/databases.js';
import { migrateToLatest } from './migrate.js';

const postgres = databaseKinds.find((kind) => kind.name === 'postgres');

describe('Keyhold in a PostgreSQL database other schemas share', { skip: postgres?.skip }, () => {
  it('migrates while another schema of the database comes and goes, and describes only its own', async () => {
    const neighbour = `keyhold_test_neighbour_${randomBytes(4).toString('hex')}`;
    const tables = Array.from(
      { length: 30 },
      (_, n) => `create table ${neighbour}.t${n} (id serial primary key, note text);`,
    ).join('\n');
    const client = new pg.Client({ connectionString: process.env.KEYHOLD_TEST_DATABASE_URL });
    await client.connect();
    // Another application of the database making and dropping its tables all the while.
    const stop = new AbortController();
    let rounds = 0;
    const churn = (async () => {
      while (!stop.signal.aborted) {
        await client.query(`create schema ${neighbour}; ${tables}`);
        await client.query(`drop schema ${neighbour} cascade`);
        rounds++;
      }
    })();
    try {
      for (let start = 0; start < 6; start++) {
        const test = await createTestDatabase('postgres');
        const database = test.open();
        try {
          assert.ok((await migrateToLatest(database)).length > 0, 'the migrations ran');
          for (let look = 0; look < 10; look++) {
            const described = await database.db.introspection.getTables();
            assert.ok(described.every((table) => table.schema === test.schema));
            assert.ok(described.some((table) => table.name === 'recovery_keys'));
          }
          const keys = (await database.db.introspection.getTables()).find(
            (table) => table.name === 'recovery_keys',
          );
          const id = keys?.columns.find((column) => column.name === 'id');
          assert.equal(id?.isNullable, false);
          assert.equal(
            (await database.db.introspection.getTables()).some(
              (t) => t.name === 'kysely_migration',
            ),
            false,
            "Kysely's own tables only when asked for",
          );
        } finally {
          await database.close();
          await test.cleanup();
        }
      }
      assert.ok(rounds > 0, 'the neighbour came and went meanwhile');
    } finally {
      stop.abort();
      await churn;
      await client.end();
    }
  });
});
