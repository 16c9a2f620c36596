import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { listenerApplicationName } from '../../src/db/signed-in-state-listener.js';
import { runKeyhold } from '../support/cli.js';
import { randomKey } from './key-library.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './databases.js';
import { ServerBrowser, startServe, type ServeProcess } from './serve-process.js';
import { SimulatedDevice } from '../support/simulated-device.js';

const postgres = databaseKinds.find((kind) => kind.name === 'postgres');

describe('two server processes sharing one PostgreSQL database', { skip: postgres?.skip }, () => {
  let database: TestDatabase;
  let first: ServeProcess;
  let second: ServeProcess;
  let shared: string[];
  const masterKey = randomBytes(32).toString('base64');

  before(async () => {
    database = await createTestDatabase('postgres');
    shared = ['--database-url', database.databaseUrl ?? ''];
    // Both start at once on an empty database: one runs the migrations and creates the audit
    // key, the other waits for it and uses the same.
    const start = (name: string) =>
      startServe(['--data-dir', join(database.dataDir, name), ...shared], {
        KEYHOLD_MASTER_KEY: masterKey,
      });
    [first, second] = await Promise.all([start('first'), start('second')]);
  });
  after(async () => {
    await Promise.all([first.stop(), second.stop()]);
    await database.cleanup();
  });

  it('accepts on one a session created through the other, and a sign-out on one ends it on both', async () => {
    const browser = new ServerBrowser();
    const signup = await browser.call(first, 'POST', '/api/v1/auth/signup', {
      email: 'scale@example.org',
      displayName: 'Scale',
      password: 'violet tractor umbrella',
    });
    assert.equal(signup.status, 201);
    const onSecond = await browser.call(second, 'GET', '/api/v1/auth/me');
    assert.equal(onSecond.status, 200);
    assert.equal((onSecond.body.account as { email: string }).email, 'scale@example.org');

    // A second account signed in through the second server joins the same browser.
    await browser.call(second, 'POST', '/api/v1/auth/signup', {
      email: 'scale2@example.org',
      displayName: 'Scale Two',
      password: 'orange kettle lighthouse',
    });
    const accounts = await browser.call(first, 'GET', '/api/v1/auth/accounts');
    assert.deepEqual(
      (accounts.body.accounts as { displayName: string }[]).map((a) => a.displayName),
      ['Scale Two', 'Scale'],
    );

    const signout = await browser.call(second, 'POST', '/api/v1/auth/signout', {
      allAccounts: true,
    });
    assert.equal(signout.status, 200);
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await browser.call(second, 'GET', '/api/v1/auth/me')).status, 401);
  });

  it('ends a sign-out on the other process at once, however often it served the session', async () => {
    const browser = new ServerBrowser();
    const signup = await browser.call(first, 'POST', '/api/v1/auth/signup', {
      email: 'cached@example.org',
      displayName: 'Cached',
      password: 'silver harbour compass',
    });
    assert.equal(signup.status, 201);
    // Served several times on each, so each process keeps the signed-in browser.
    for (let round = 0; round < 3; round++) {
      assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 200);
      assert.equal((await browser.call(second, 'GET', '/api/v1/auth/me')).status, 200);
    }
    const signout = await browser.call(first, 'POST', '/api/v1/auth/signout', {
      allAccounts: true,
    });
    assert.equal(signout.status, 200);
    assert.equal((await browser.call(second, 'GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 401);
  });

  it('reads every request while it cannot hear the other process, and never serves an ended session', async () => {
    const browser = new ServerBrowser();
    await browser.call(second, 'POST', '/api/v1/auth/signup', {
      email: 'unheard@example.org',
      displayName: 'Unheard',
      password: 'copper meadow lantern',
    });
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 200);
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 200);

    // Both processes lose their listening connection (a network failure, a PostgreSQL restart):
    // the sign-out's announcement reaches nobody.
    await dropListeningConnections();
    const signout = await browser.call(second, 'POST', '/api/v1/auth/signout', {
      allAccounts: true,
    });
    assert.equal(signout.status, 200);
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await browser.call(second, 'GET', '/api/v1/auth/me')).status, 401);
    // Once listening again, the processes still agree.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await browser.call(first, 'POST', '/api/v1/auth/signin', {
      email: 'unheard@example.org',
      password: 'copper meadow lantern',
    });
    assert.equal((await browser.call(second, 'GET', '/api/v1/auth/me')).status, 200);
    await browser.call(second, 'POST', '/api/v1/auth/signout', { allAccounts: true });
    assert.equal((await browser.call(first, 'GET', '/api/v1/auth/me')).status, 401);
  });

  it("takes a device's challenge and access token from either process, and a retirement on one ends the token on both", async () => {
    const owner = new ServerBrowser();
    await owner.call(first, 'POST', '/api/v1/auth/signup', {
      email: 'fleet@example.org',
      displayName: 'Fleet',
      password: 'amber window tractor',
    });
    const org = await owner.call(first, 'POST', '/api/v1/orgs', { name: 'Fleet' });
    const orgId = (org.body.organisation as { id: string }).id;
    const created = await owner.call(first, 'POST', `/api/v1/orgs/${orgId}/enrollment-tokens`, {
      name: 'Laptops',
    });
    let target = first;
    const laptop = new SimulatedDevice(async (method, path, options) => {
      const response = await fetch(new URL(path, target.url), {
        method,
        headers: { 'content-type': 'application/json', ...options?.headers },
        ...(options?.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      return { status: response.status, body: (await response.json()) as never, headers: {} };
    }, 'PC-SCALE');
    assert.equal((await laptop.enroll(created.body.secret as string)).status, 201);

    // A challenge from the first, signed and exchanged on the second: the key is shared.
    const challenge = await laptop.challenge();
    target = second;
    const signed = await laptop.checkInSigned(laptop.assertion(challenge));
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const accessToken = signed.body.token?.access_token ?? '';
    for (let round = 0; round < 3; round++) {
      assert.equal((await laptop.checkInWith(accessToken)).status, 200);
    }
    const enrolled = await owner.call(first, 'GET', `/api/v1/orgs/${orgId}/enrolled-devices`);
    const enrolledId = (enrolled.body.items as { id: string }[])[0]?.id ?? '';
    const retired = await owner.call(
      first,
      'POST',
      `/api/v1/orgs/${orgId}/enrolled-devices/${enrolledId}/retire`,
    );
    assert.equal(retired.status, 200);
    assert.equal((await laptop.checkInWith(accessToken)).status, 401);
    target = first;
    assert.equal((await laptop.checkInWith(accessToken)).status, 401);
  });

  it('keeps one intact audit chain when both write at the same time', async () => {
    const attempts = Array.from({ length: 12 }, (_, index) =>
      new ServerBrowser().call(index % 2 === 0 ? first : second, 'POST', '/api/v1/auth/signin', {
        email: 'scale@example.org',
        password: `wrong password ${index}`,
      }),
    );
    for (const attempt of await Promise.all(attempts))
      assert.ok([401, 429].includes(attempt.status));

    // Adds and reveals, each appending to the chain, in a burst on both processes at once.
    const browser = new ServerBrowser();
    const signup = await browser.call(first, 'POST', '/api/v1/auth/signup', {
      email: 'burst@example.org',
      displayName: 'Burst',
      password: 'violet tractor umbrella',
    });
    assert.equal(signup.status, 201);
    const stored = await browser.call(first, 'POST', '/api/v1/keys', randomKey());
    assert.equal(stored.status, 201);
    const storedId = (stored.body.key as { id: string }).id;
    const burst = Array.from({ length: 80 }, (_, index) => {
      const server = index % 2 === 0 ? first : second;
      return index % 4 < 2
        ? browser.call(
            server,
            'POST',
            '/api/v1/keys',
            randomKey({ deviceName: `BURST-${index % 3}` }),
          )
        : browser.call(server, 'POST', `/api/v1/keys/${storedId}/reveal`);
    });
    for (const reply of await Promise.all(burst)) assert.ok([200, 201].includes(reply.status));
    const activity = await browser.call(second, 'GET', '/api/v1/audit?limit=200');
    assert.equal(activity.status, 200);
    const actions = (activity.body.events as { action: string }[]).map((event) => event.action);
    assert.equal(actions.filter((action) => action === 'key_added').length, 41);
    assert.equal(actions.filter((action) => action === 'key_revealed').length, 40);
    const verified = await runKeyhold(['admin', 'verify-audit', '--json', ...shared], {
      env: { KEYHOLD_MASTER_KEY: masterKey },
    });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    assert.equal((JSON.parse(verified.stdout) as { intact: boolean }).intact, true);
  });

  it('shares the audit chain while both keep adding and revealing, losing no event', async () => {
    const browser = new ServerBrowser();
    const signup = await browser.call(second, 'POST', '/api/v1/auth/signup', {
      email: 'steady@example.org',
      displayName: 'Steady',
      password: 'amber orchard telescope',
    });
    assert.equal(signup.status, 201);
    const stored = await browser.call(second, 'POST', '/api/v1/keys', randomKey());
    assert.equal(stored.status, 201);
    const storedId = (stored.body.key as { id: string }).id;
    // Several streams on each process, each sending its next request as soon as the last is
    // answered: both keep appending to the chain at once for the whole run.
    const streams = 4;
    const rounds = 12;
    const stream = async (server: ServeProcess, index: number) => {
      for (let round = 0; round < rounds; round++) {
        const reply =
          (index + round) % 2 === 0
            ? await browser.call(server, 'POST', '/api/v1/keys', randomKey())
            : await browser.call(server, 'POST', `/api/v1/keys/${storedId}/reveal`);
        assert.ok([200, 201].includes(reply.status), `answered ${reply.status}`);
      }
    };
    await Promise.all(
      Array.from({ length: streams * 2 }, (_, index) =>
        stream(index % 2 === 0 ? first : second, index),
      ),
    );
    const requests = streams * 2 * rounds;
    const activity = await browser.call(first, 'GET', `/api/v1/audit?limit=${requests + 10}`);
    assert.equal(activity.status, 200);
    const actions = (activity.body.events as { action: string }[]).map((event) => event.action);
    assert.equal(actions.filter((action) => action === 'key_added').length, 1 + requests / 2);
    assert.equal(actions.filter((action) => action === 'key_revealed').length, requests / 2);
    const verified = await runKeyhold(['admin', 'verify-audit', '--json', ...shared], {
      env: { KEYHOLD_MASTER_KEY: masterKey },
    });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { intact: boolean }).intact, true);
  });
});

describe('two server processes adding keys for one device', { skip: postgres?.skip }, () => {
  // A database of its own: PostgreSQL counts the deadlocks it broke per database.
  const databaseName = `keyhold_test_devices_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string;
  let dataDir: string;

  before(async () => {
    await withAdminClient((client) => client.query(`create database ${databaseName}`));
    const url = new URL(process.env.KEYHOLD_TEST_DATABASE_URL ?? '');
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    dataDir = await mkdtemp(join(tmpdir(), 'keyhold-test-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await withAdminClient((client) => client.query(`drop database if exists ${databaseName}`));
  });

  it('stores every key without PostgreSQL breaking a deadlock, whichever path each add takes', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const start = (name: string) =>
      startServe(['--data-dir', join(dataDir, name), '--database-url', databaseUrl], {
        KEYHOLD_MASTER_KEY: masterKey,
      });
    const [first, second] = await Promise.all([start('first'), start('second')]);
    const browser = new ServerBrowser();
    let adds = 0;
    try {
      const signup = await browser.call(first, 'POST', '/api/v1/auth/signup', {
        email: 'one-device@example.org',
        displayName: 'One Device',
        password: 'violet tractor umbrella',
      });
      assert.equal(signup.status, 201);
      const stored = await browser.call(
        first,
        'POST',
        '/api/v1/keys',
        randomKey({ deviceName: 'Shared-PC' }),
      );
      assert.equal(stored.status, 201);
      // Keys for the device come in from both processes at once, the name spelled two ways: an add
      // that keeps the stored spelling is written in one statement with its audit event, one that
      // changes it renames the device in a transaction. Both touch the device's row.
      const spellings = ['Shared-PC', 'SHARED-PC'];
      const stream = async (server: ServeProcess, index: number) => {
        for (let round = 0; round < 8; round++) {
          const deviceName = spellings[(index + round) % 2] ?? 'Shared-PC';
          const reply = await browser.call(
            server,
            'POST',
            '/api/v1/keys',
            randomKey({ deviceName }),
          );
          assert.equal(reply.status, 201, JSON.stringify(reply.body));
          adds += 1;
        }
      };
      await Promise.all(
        Array.from({ length: 12 }, (_, index) => stream(index % 2 === 0 ? first : second, index)),
      );
      const keys = await browser.call(second, 'GET', '/api/v1/keys?limit=200');
      assert.equal((keys.body.items as unknown[]).length, adds + 1);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    assert.equal(await deadlocksIn(databaseName), 0);
  });
});

/** Admin statements on the test server, outside any test database. */
async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.KEYHOLD_TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The deadlocks PostgreSQL broke in a database, once no session is connected to it any more: a
 * session hands in its counts when it ends.
 */
async function deadlocksIn(databaseName: string): Promise<number> {
  return withAdminClient(async (client) => {
    for (;;) {
      const { rows } = await client.query<{ sessions: string }>(
        'select count(*) as sessions from pg_stat_activity where datname = $1',
        [databaseName],
      );
      if (Number(rows[0]?.sessions) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query('select pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ deadlocks: string }>(
      'select deadlocks from pg_stat_database where datname = $1',
      [databaseName],
    );
    return Number(rows[0]?.deadlocks);
  });
}

/** Ends the servers' listening connections, as a network failure or restart would. */
async function dropListeningConnections(): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.KEYHOLD_TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and application_name = $1`,
      [listenerApplicationName],
    );
    assert.ok((rowCount ?? 0) >= 2, 'both servers were listening');
  } finally {
    await client.end();
  }
}
