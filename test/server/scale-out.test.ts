import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKeyhold } from '../support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './databases.js';
import { ServerBrowser, startServe, type ServeProcess } from './serve-process.js';

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

  it('keeps one intact audit chain when both write at the same time', async () => {
    const attempts = Array.from({ length: 12 }, (_, index) =>
      new ServerBrowser().call(index % 2 === 0 ? first : second, 'POST', '/api/v1/auth/signin', {
        email: 'scale@example.org',
        password: `wrong password ${index}`,
      }),
    );
    for (const attempt of await Promise.all(attempts))
      assert.ok([401, 429].includes(attempt.status));
    const verified = await runKeyhold(['admin', 'verify-audit', '--json', ...shared], {
      env: { KEYHOLD_MASTER_KEY: masterKey },
    });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    assert.equal((JSON.parse(verified.stdout) as { intact: boolean }).intact, true);
  });
});
