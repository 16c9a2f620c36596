import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import {
  createTestDatabase,
  databaseKinds,
  type TestDatabase,
} from '../../test/server/databases.js';
import { openDatabase, sqliteFileName, type Database } from './database.js';
import { GroupCommit } from './group-commit.js';
import { listenerApplicationName, SignedInStateListener } from './signed-in-state-listener.js';
import { migrateToLatest } from './migrate.js';
import { preparedQuery } from './prepared-query.js';
import type { DatabaseSchema } from './schema.js';
import { tableWrittenBy } from './table-changes.js';
import { waitUntil } from '../../test/support/wait.js';

const organisationNames = preparedQuery(
  (db, values: { prefix: string; limit: number }, order: 'asc' | 'desc') =>
    db
      .selectFrom('organisations')
      .select('name')
      .where('name', 'like', sql<string>`${values.prefix} || '%'`)
      .orderBy('name', order)
      .limit(values.limit),
);

async function names(database: Database): Promise<string[]> {
  const rows = await database.db
    .selectFrom('organisations')
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((row) => row.name);
}

function organisation(name: string) {
  const at = new Date().toISOString();
  return { id: `org-${name}`, name, created_at: at, updated_at: at };
}

for (const kind of databaseKinds) {
  describe(`transactions and prepared queries on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    let database: Database;

    before(async () => {
      testDb = await createTestDatabase(kind.name);
      database = testDb.open();
      await migrateToLatest(database);
    });
    after(async () => {
      await database.close();
      await testDb.cleanup();
    });

    /**
     * Runs `work` with a signed-in state listener of its own, once it listens, and another
     * connection to write with; closes both after. Returns the closed listener.
     */
    async function withListening(
      work: (listener: SignedInStateListener, other: Database) => Promise<void>,
    ): Promise<SignedInStateListener> {
      const listener = new SignedInStateListener(testDb.databaseUrl ?? '');
      const other = testDb.open();
      try {
        await waitUntil(() => listener.stamp(['organisations']) !== undefined, 'listening');
        await work(listener, other);
      } finally {
        await other.close();
        await listener.close();
      }
      return listener;
    }

    it('keeps every transaction of a burst, and only what a failing one wrote is undone', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, n) =>
          database.transaction(async (trx) => {
            await trx
              .insertInto('organisations')
              .values(organisation(`burst-${n}`))
              .execute();
            if (n % 10 === 3) throw new Error(`writer ${n} changed its mind`);
            return n;
          }),
        ),
      );
      const failed = outcomes.flatMap((outcome, n) => (outcome.status === 'rejected' ? [n] : []));
      assert.deepEqual(failed, [3, 13, 23, 33]);
      assert.match(String((outcomes[3] as PromiseRejectedResult).reason), /writer 3 changed/);
      assert.equal((outcomes[5] as PromiseFulfilledResult<number>).value, 5);
      const stored = (await names(database)).filter((name) => name.startsWith('burst-'));
      assert.equal(stored.length, 36);
      assert.equal(stored.includes('burst-13'), false);
      assert.equal(stored.includes('burst-14'), true);
    });

    it('answers a writer only once its change is visible to everybody', async () => {
      const answered = await database.transaction(async (trx) => {
        await trx.insertInto('organisations').values(organisation('visible')).execute();
        return 'done';
      });
      assert.equal(answered, 'done');
      const other = testDb.open();
      try {
        const rows = await other.db
          .selectFrom('organisations')
          .select('name')
          .where('name', '=', 'visible')
          .execute();
        assert.equal(rows.length, 1);
      } finally {
        await other.close();
      }
    });

    it('runs a prepared query with new values each time, one text per shape', async () => {
      for (const name of ['prep-a', 'prep-b', 'prep-c']) {
        await database.transaction((trx) =>
          trx.insertInto('organisations').values(organisation(name)).execute(),
        );
      }
      const firstTwo = await organisationNames(database.db, { prefix: 'prep-', limit: 2 }, 'asc');
      assert.deepEqual(
        firstTwo.map((row) => row.name),
        ['prep-a', 'prep-b'],
      );
      const lastOne = await organisationNames(database.db, { prefix: 'prep-', limit: 1 }, 'desc');
      assert.deepEqual(
        lastOne.map((row) => row.name),
        ['prep-c'],
      );
      const none = await organisationNames(database.db, { prefix: 'nothing-', limit: 5 }, 'asc');
      assert.deepEqual(none, []);
    });

    it('tells when a watched table changed, also through another connection', async (t) => {
      const before = await stampOnceFollowing(database, ['organisations']);
      await database.db.selectFrom('organisations').selectAll().execute();
      assert.equal(database.changeStamp(['organisations']), before, 'reading changes nothing');
      await database.transaction((trx) =>
        trx.insertInto('organisations').values(organisation('stamp-here')).execute(),
      );
      const afterOwnWrite = database.changeStamp(['organisations']);
      assert.notEqual(afterOwnWrite, before, 'an own write shows at once');
      assert.equal(database.changeStamp(['sessions']), database.changeStamp(['sessions']));

      const other = testDb.open();
      try {
        await other.transaction((trx) =>
          trx.insertInto('organisations').values(organisation('stamp-elsewhere')).execute(),
        );
      } finally {
        await other.close();
      }
      if (kind.name === 'postgres') {
        t.diagnostic('PostgreSQL: the commit elsewhere is announced to this process');
        await waitUntil(
          () => database.changeStamp(['organisations']) !== afterOwnWrite,
          'the announcement heard',
        );
      }
      assert.notEqual(database.changeStamp(['organisations']), afterOwnWrite);
    });

    it(
      'gives no stamp while changes elsewhere cannot be heard, and trusts nothing from before',
      {
        skip: kind.name === 'sqlite' && 'SQLite reads changes from its file: nothing to lose',
      },
      async () => {
        const before = await stampOnceFollowing(database, ['sessions']);
        assert.equal(database.changeStamp(['keys']), undefined, 'only signed-in state is followed');
        await dropListeningConnections(database);
        await waitUntil(() => database.changeStamp(['sessions']) === undefined, 'the loss noticed');

        // A write elsewhere while nobody listens: its announcement is lost for good.
        const other = testDb.open();
        try {
          await other.transaction((trx) =>
            trx.insertInto('organisations').values(organisation('unheard')).execute(),
          );
        } finally {
          await other.close();
        }
        const after = await stampOnceFollowing(database, ['sessions']);
        assert.notEqual(after, before, 'a new connection starts afresh');
      },
    );

    it(
      'has heard every announcement committed before it asks whether it has caught up',
      { skip: kind.name === 'sqlite' && 'SQLite reads changes from its file: nothing to await' },
      async () => {
        const listener = await withListening(async (listener, other) => {
          for (let round = 0; round < 20; round++) {
            const before = listener.stamp(['organisations']);
            await other.db
              .insertInto('organisations')
              .values(organisation(`caught-up-${round}`))
              .execute();
            await listener.heardUpToNow();
            assert.notEqual(listener.stamp(['organisations']), before, `round ${round}`);
          }
        });
        // Closed, it answers at once rather than waiting for what can no longer come.
        await listener.heardUpToNow();
      },
    );

    it(
      'has heard every write committed before each of a burst of callers asks, on one statement at a time',
      { skip: kind.name === 'sqlite' && 'SQLite reads changes from its file: nothing to await' },
      async () => {
        const warnings: string[] = [];
        const onWarning = (warning: Error) => warnings.push(warning.message);
        process.on('warning', onWarning);
        try {
          await withListening(async (listener, other) => {
            // The stamp is the generation and then the announcements heard for each table asked.
            const heard = () => Number(listener.stamp(['organisations'])?.split(':')[1]);
            const start = heard();
            let committed = 0;
            await Promise.all(
              Array.from({ length: 40 }, async (_, n) => {
                await other.db
                  .insertInto('organisations')
                  .values(organisation(`heard-burst-${n}`))
                  .execute();
                committed += 1;
                const committedBefore = committed;
                await listener.heardUpToNow();
                assert.ok(heard() - start >= committedBefore, `caller ${n} heard too little`);
              }),
            );
          });
          await new Promise((resolve) => setImmediate(resolve));
          assert.deepEqual(warnings, [], 'no statement queued behind another on the connection');
        } finally {
          process.off('warning', onWarning);
        }
      },
    );
  });
}

/** The stamp once changes can be followed (PostgreSQL listens from the first call on). */
async function stampOnceFollowing(database: Database, tables: string[]): Promise<string> {
  await waitUntil(() => database.changeStamp(tables) !== undefined, 'listening');
  const stamp = database.changeStamp(tables);
  assert.ok(stamp !== undefined);
  return stamp;
}

/** Ends every listening connection to this database, as a network failure or restart would. */
async function dropListeningConnections(database: Database): Promise<void> {
  const { rows } = await sql<{ ended: boolean }>`
    select pg_terminate_backend(pid) as ended from pg_stat_activity
    where datname = current_database() and application_name = ${listenerApplicationName}`.execute(
    database.db,
  );
  assert.ok(rows.some((row) => row.ended));
}

describe('shared commits when the transaction cannot begin', () => {
  it(
    'refuses the waiting writers with the reason instead of retrying forever',
    { timeout: 10_000 },
    async () => {
      const connection = new SqliteDatabase(':memory:');
      const db = new Kysely<DatabaseSchema>({
        dialect: new SqliteDialect({ database: connection }),
      });
      try {
        // A transaction left open underneath makes SQLite refuse to begin another.
        connection.exec('begin');
        const group = new GroupCommit(db);
        const outcomes = await Promise.allSettled(
          [1, 2, 3].map(() =>
            group.run(async (trx) => trx.selectFrom('users').selectAll().execute()),
          ),
        );
        assert.deepEqual(
          outcomes.map((outcome) =>
            outcome.status === 'rejected' ? String(outcome.reason) : outcome.status,
          ),
          Array.from(
            { length: 3 },
            () => 'SqliteError: cannot start a transaction within a transaction',
          ),
        );
      } finally {
        connection.exec('rollback');
        await db.destroy();
      }
    },
  );
});

describe('which table a statement writes', () => {
  it('names the table of inserts, updates and deletes, and nothing for reads', () => {
    assert.equal(tableWrittenBy('insert into "sessions" ("id") values (?)'), 'sessions');
    assert.equal(tableWrittenBy('update "users" set "display_name" = ?'), 'users');
    assert.equal(tableWrittenBy('delete from "memberships" where "user_id" = ?'), 'memberships');
    assert.equal(tableWrittenBy('INSERT OR REPLACE INTO browsers (id) VALUES (?)'), 'browsers');
    assert.equal(tableWrittenBy('select * from "sessions"'), undefined);
    assert.equal(tableWrittenBy('pragma data_version'), undefined);
    assert.equal(tableWrittenBy('savepoint grouped_write'), undefined);
    assert.equal(tableWrittenBy('with t as (select 1) select * from t'), undefined);
  });

  it('treats statements it cannot place as writing anywhere', () => {
    assert.equal(tableWrittenBy('create table "x" ("id" text)'), '*');
    assert.equal(tableWrittenBy('drop index "sessions_user"'), '*');
    assert.equal(tableWrittenBy('with t as (select 1) delete from "x"'), '*');
  });
});

describe('SQLite writers in several processes', () => {
  it('waits for the write lock without stalling, then sees what the other writer committed', async () => {
    const testDb = await createTestDatabase('sqlite');
    // Two connections to one file lock each other out exactly as two processes do.
    const first = testDb.open();
    const second = testDb.open();
    try {
      await migrateToLatest(first);
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstHasLock = (): void => undefined;
      const locked = new Promise<void>((resolve) => (firstHasLock = resolve));
      const holder = first.transaction(async (trx) => {
        await trx.insertInto('organisations').values(organisation('first-writer')).execute();
        firstHasLock();
        await held;
      });
      await locked;
      // Reads first, then writes: with a lock taken only at the first write, the first
      // writer's commit in between would make SQLite refuse this transaction outright.
      const waiter = second.transaction(async (trx) => {
        const seen = await trx.selectFrom('organisations').select('name').execute();
        await trx.insertInto('organisations').values(organisation('second-writer')).execute();
        return seen.map((row) => row.name);
      });
      let ticks = 0;
      for (let n = 0; n < 5; n++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        ticks += 1;
      }
      assert.equal(ticks, 5, 'timers keep firing while the second writer waits');
      release();
      await holder;
      assert.deepEqual(await waiter, ['first-writer']);
      assert.deepEqual(await names(first), ['first-writer', 'second-writer']);
    } finally {
      await second.close();
      await first.close();
      await testDb.cleanup();
    }
  });

  it('brings a new database up to date from two processes starting at once', async () => {
    const testDb = await createTestDatabase('sqlite');
    const first = testDb.open();
    const second = testDb.open();
    try {
      await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
      await first.transaction((trx) =>
        trx.insertInto('organisations').values(organisation('after-migrating')).execute(),
      );
      assert.deepEqual(await names(second), ['after-migrating']);
    } finally {
      await second.close();
      await first.close();
      await testDb.cleanup();
    }
  });
});

describe('SQLite checkpoints on their own thread', () => {
  it('copies committed writes into the database file without any commit doing it', async () => {
    const testDb = await createTestDatabase('sqlite');
    const problems: string[] = [];
    const database = openDatabase({ dataDir: testDb.dataDir });
    database.checkpointInBackground((problem) => problems.push(problem));
    try {
      await migrateToLatest(database);
      const file = join(testDb.dataDir, sqliteFileName);
      // Let the thread catch up with the schema, then measure what the file holds.
      await waitUntil(async () => (await stat(`${file}-wal`)).size > 0, 'the schema in the WAL');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const sizeBefore = (await stat(file)).size;
      for (let batch = 0; batch < 20; batch++) {
        await database.transaction(async (trx) => {
          for (let n = 0; n < 50; n++) {
            await trx
              .insertInto('organisations')
              .values(organisation(`checkpointed-${batch}-${n}-${'x'.repeat(200)}`))
              .execute();
          }
        });
      }
      // Far below the fallback threshold: only the background thread moves these pages.
      await waitUntil(
        async () => (await stat(file)).size > sizeBefore,
        'the background checkpoint moving pages into the file',
      );
      assert.deepEqual(problems, []);
    } finally {
      await database.close();
      await testDb.cleanup();
    }
  });
});
