import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runKeyhold } from '../support/cli.js';
import { childProcessesOf as workersOf } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { randomKey, testPassword, uniqueEmail } from './key-library.js';
import { ServerBrowser, startServe, testServeEnv, type ServeProcess } from './serve-process.js';

/**
 * `keyhold serve --workers 2` on SQLite: two server processes behind one port. Every request goes
 * out on a connection of its own, so the cluster hands them to the workers in turn.
 */

/** The processes whose log lines say they answered a request. */
function pidsThatAnswered(output: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"request completed"')) continue;
    pids.add((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

describe('keyhold serve --workers 2 on SQLite', () => {
  let database: TestDatabase;
  let server: ServeProcess;
  const masterKey = randomBytes(32).toString('base64');
  const args = () => ['--data-dir', database.dataDir, '--workers', '2'];

  before(async () => {
    database = await createTestDatabase('sqlite');
    server = await startServe(args(), { KEYHOLD_MASTER_KEY: masterKey });
  });
  after(async () => {
    await server.stop();
    await database.cleanup();
  });

  it('says it serves with two workers, and reports the database once', () => {
    assert.match(server.output(), /serving on http:\/\/127\.0\.0\.1:\d+ with 2 worker processes/);
    assert.equal(server.output().match(/"data: /g)?.length, 1);
    assert.equal(workersOf(server.pid).length, 2);
  });

  it('accepts on every worker a session made on one, and a sign-out on one ends it on all', async () => {
    const browser = new ServerBrowser({ connectionPerRequest: true });
    const signup = await browser.call(server, 'POST', '/api/v1/auth/signup', {
      email: uniqueEmail('workers'),
      displayName: 'Workers',
      password: testPassword,
    });
    assert.equal(signup.status, 201);
    for (let n = 0; n < 6; n++) {
      assert.equal((await browser.call(server, 'GET', '/api/v1/auth/me')).status, 200);
    }
    assert.equal(pidsThatAnswered(server.output()).size, 2, 'both workers answered');

    assert.equal((await browser.call(server, 'POST', '/api/v1/auth/signout', {})).status, 200);
    for (let n = 0; n < 6; n++) {
      assert.equal((await browser.call(server, 'GET', '/api/v1/auth/me')).status, 401);
    }
  });

  it('keeps every key added through both workers at once, and one intact audit chain', async () => {
    const browser = new ServerBrowser({ connectionPerRequest: true });
    await browser.call(server, 'POST', '/api/v1/auth/signup', {
      email: uniqueEmail('writers'),
      displayName: 'Writers',
      password: testPassword,
    });
    const keys = Array.from({ length: 60 }, () => randomKey());
    const added = await Promise.all(
      keys.map((key) => browser.call(server, 'POST', '/api/v1/keys', key)),
    );
    assert.deepEqual(
      added.map((reply) => reply.status),
      keys.map(() => 201),
    );
    const listed = await browser.call(server, 'GET', '/api/v1/keys?limit=100');
    assert.deepEqual(
      (listed.body.items as { protectorId: string }[]).map((key) => key.protectorId).sort(),
      keys.map((key) => key.protectorId).sort(),
    );
    for (const key of keys.slice(0, 6)) {
      const id = (added[keys.indexOf(key)]?.body.key as { id: string }).id;
      const revealed = await browser.call(server, 'POST', `/api/v1/keys/${id}/reveal`);
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
    }
    const verified = await runKeyhold(
      ['admin', 'verify-audit', '--json', '--data-dir', database.dataDir],
      { env: { KEYHOLD_MASTER_KEY: masterKey } },
    );
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { intact: boolean }).intact, true);
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const [victim, survivor] = workersOf(server.pid);
    assert.ok(victim && survivor);
    process.kill(victim, 'SIGKILL');
    await waitUntil(
      () => server.output().includes('a server worker stopped unexpectedly (SIGKILL)'),
      'the supervisor noticing',
    );
    assert.equal(
      (await new ServerBrowser({ connectionPerRequest: true }).call(server, 'GET', '/healthz'))
        .status,
      200,
    );
    await waitUntil(() => {
      const workers = workersOf(server.pid);
      return workers.length === 2 && !workers.includes(victim);
    }, 'a new worker starting');
  });

  it('stops every worker and exits 0 on SIGTERM', async () => {
    const workers = workersOf(server.pid);
    assert.equal(await server.stop(), 0);
    for (const pid of workers) {
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
    }
  });

  it('stops with the reason of a worker that cannot start', async () => {
    const result = await runKeyhold(['serve', '--port', '0', ...args()], {
      env: { ...testServeEnv, KEYHOLD_MASTER_KEY: randomBytes(32).toString('base64') },
    });
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(result.stderr, /does not belong to the database/);
    assert.doesNotMatch(result.stdout + result.stderr, /serving on/);
  });
});
