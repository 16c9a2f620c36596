import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { createServerContext, type ServerContext } from '../../src/server/context.js';
import {
  costOfHash,
  paddingCost,
  PasswordHasher,
} from '../../src/server/features/auth/passwords.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, testArgon2, type TestApp } from '../server/harness.js';
import { testPassword, uniqueEmail } from '../server/key-library.js';

/**
 * Raising the argon2 cost: old hashes are upgraded the next time their password is typed, and
 * until then a wrong password costs what it costs for any account or for no account at all.
 */

const raised = { argon2MemoryKib: 4096, argon2Iterations: 2 } as const;

async function storedHash(ctx: ServerContext, email: string): Promise<string> {
  const row = await ctx.db
    .selectFrom('users')
    .select('password_hash')
    .where('email_normalized', '=', email.toLowerCase())
    .executeTakeFirstOrThrow();
  return row.password_hash;
}

for (const kind of databaseKinds) {
  describe(
    `password hashes after an argon2 cost change on ${kind.name}`,
    { skip: kind.skip },
    () => {
      let server: TestApp;
      /** The same database served again after the operator raised the cost. */
      let raisedCtx: ServerContext;
      let raisedApp: FastifyInstance;
      before(async () => {
        server = await startTestApp(kind.name);
        const config = loadConfig(
          {
            dataDir: server.testDb.dataDir,
            databaseUrl: server.testDb.databaseUrl,
            logLevel: 'silent',
            ...testArgon2,
            ...raised,
          },
          {},
        );
        raisedCtx = await createServerContext(config, { now: server.clock.now });
        raisedApp = await buildApp({ config, context: raisedCtx });
      });
      after(async () => {
        await raisedApp.close();
        await raisedCtx.close();
        await server.close();
      });

      it('re-hashes a password at the new cost when it is signed in with, and only then', async () => {
        const email = uniqueEmail('old-hash');
        await new TestBrowser(server.app).signup(email, testPassword);
        const original = await storedHash(server.ctx, email);
        assert.deepEqual(costOfHash(original), {
          memoryKib: testArgon2.argon2MemoryKib,
          iterations: testArgon2.argon2Iterations,
          parallelism: 1,
        });

        const browser = new TestBrowser(raisedApp);
        assert.equal((await browser.signin(email, 'not the password at all')).status, 401);
        assert.equal(await storedHash(raisedCtx, email), original);

        assert.equal((await browser.signin(email, testPassword)).status, 200);
        const upgraded = await storedHash(raisedCtx, email);
        assert.deepEqual(costOfHash(upgraded), {
          memoryKib: raised.argon2MemoryKib,
          iterations: raised.argon2Iterations,
          parallelism: 1,
        });
        // The upgraded hash is the same password.
        assert.equal((await new TestBrowser(raisedApp).signin(email, testPassword)).status, 200);
        assert.equal(
          (await new TestBrowser(raisedApp).signin(email, 'not the password at all')).status,
          401,
        );
      });
    },
  );
}

describe('a wrong password against an older, cheaper hash', () => {
  it('spends the difference, so it costs what a current hash or an unknown email costs', () => {
    const current = { memoryKib: 65536, iterations: 3, parallelism: 1 };
    const older = { memoryKib: 19456, iterations: 2, parallelism: 1 };
    const padding = paddingCost(older, current);
    assert.ok(padding);
    // argon2 work is memory times passes per lane: old plus padding comes to today's.
    const work = (c: typeof current) => (c.memoryKib * c.iterations) / c.parallelism;
    assert.ok(Math.abs(work(older) + work(padding) - work(current)) < work(current) / 100);
    assert.equal(paddingCost(current, current), undefined);
    // A hash already as costly (the cost was lowered) needs nothing more.
    assert.equal(paddingCost({ ...current, memoryKib: 131072 }, current), undefined);
  });

  it('comes back without an upgrade, and a right one comes back re-hashed', async () => {
    const older = new PasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 });
    const current = new PasswordHasher({ memoryKib: 2048, iterations: 2, parallelism: 1 });
    const oldHash = await older.hash('a long and private passphrase');
    assert.equal(current.isOutdated(oldHash), true);
    assert.deepEqual(await current.check(oldHash, 'a wrong passphrase'), { right: false });
    const right = await current.check(oldHash, 'a long and private passphrase');
    assert.equal(right.right, true);
    assert.ok(right.upgradedHash);
    assert.equal(current.isOutdated(right.upgradedHash), false);
    assert.equal(await current.verify(right.upgradedHash, 'a long and private passphrase'), true);
    const fresh = await current.hash('another passphrase');
    assert.deepEqual(await current.check(fresh, 'another passphrase'), { right: true });
  });
});
