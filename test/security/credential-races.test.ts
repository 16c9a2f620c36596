import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { CredentialLimiter, policies } from '../../src/server/credential-limits.js';
import { RateLimitedError } from '../../src/server/errors.js';
import { totpCode } from '../../src/server/features/auth/totp.js';
import { createTestDatabase, databaseKinds } from '../server/databases.js';
import {
  startTestApp,
  TestBrowser,
  TestClock,
  type ApiResponse,
  type TestApp,
} from '../server/harness.js';
import { addKey, randomKey, testPassword, uniqueEmail } from '../server/key-library.js';
import type { AuditPage as AuditReply } from '../../src/api/audit.js';

/**
 * Guessing in parallel: 200 wrong credentials sent at once must get no more evaluations than the
 * policy allows, however the requests interleave. Evaluations are counted where they leave a
 * trace (each wrong credential that was looked at is in the account's activity), not by status
 * codes, since a request can be evaluated and still be answered 429.
 */

const burstSize = 200;
const accountAllowance = policies.account.free;
const wrongPassword = 'not the password at all';

/** Every event of the signed-in account's activity with this action. */
async function countEvents(browser: TestBrowser, action: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&before=${cursor}` : '';
    const page = await browser.request<AuditReply>('GET', `/api/v1/audit?limit=200${query}`);
    assert.equal(page.status, 200);
    count += page.body.events.filter((event) => event.action === action).length;
    cursor = page.body.nextCursor;
  } while (cursor);
  return count;
}

function statuses(responses: ApiResponse[]): Map<number, number> {
  const tally = new Map<number, number>();
  for (const { status } of responses) tally.set(status, (tally.get(status) ?? 0) + 1);
  return tally;
}

/** Fires every request at once; `last` (the right credential) is sent after all the guesses. */
function burst<T>(guess: () => Promise<T>, last: () => Promise<T>): Promise<T[]> {
  return Promise.all([...Array.from({ length: burstSize - 1 }, guess), last()]);
}

function assertOnlyRefusalsAndFailures(responses: ApiResponse[], failureStatus: number) {
  const tally = statuses(responses);
  const unexpected = [...tally.keys()].filter((s) => s !== failureStatus && s !== 429);
  assert.deepEqual(unexpected, [], `unexpected answers: ${JSON.stringify([...tally])}`);
  assert.ok((tally.get(429) ?? 0) >= burstSize - accountAllowance, JSON.stringify([...tally]));
}

/** Six-digit codes that are none of the codes valid around `now`. */
function wrongCodes(secret: string, now: Date): () => string {
  const valid = new Set(
    [-30_000, 0, 30_000].map((offset) => totpCode(secret, new Date(now.getTime() + offset))),
  );
  let next = 100_000;
  return () => {
    do next += 7_919;
    while (valid.has(String(next % 1_000_000).padStart(6, '0')));
    return String(next % 1_000_000).padStart(6, '0');
  };
}

for (const kind of databaseKinds) {
  describe(`concurrent credential guesses on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    /** A signed-in person with a key in the library, as the one being attacked. */
    async function victim(): Promise<{ browser: TestBrowser; email: string }> {
      const browser = new TestBrowser(server.app);
      const email = uniqueEmail('victim');
      await browser.signup(email, testPassword);
      await addKey(browser, randomKey());
      return { browser, email };
    }

    async function enableTotp(browser: TestBrowser): Promise<string> {
      const enrol = await browser.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password: testPassword },
      });
      assert.equal(enrol.status, 200);
      const confirmed = await browser.request('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(enrol.body.secret, server.clock.now()) },
      });
      assert.equal(confirmed.status, 200);
      server.clock.advance(30_000);
      return enrol.body.secret;
    }

    it('sign-in: a burst of wrong passwords from one address gets 5 looks, and the right one sent with them is refused', async () => {
      const { browser: owner, email } = await victim();
      const attacker = new TestBrowser(server.app);
      const responses = await burst(
        () => attacker.signin(email, wrongPassword),
        () => attacker.signin(email, testPassword),
      );
      assert.equal(responses.at(-1)?.status, 429, 'the right password inside the burst');
      assertOnlyRefusalsAndFailures(responses, 401);
      const failures = await countEvents(owner, 'signin_failed');
      assert.ok(failures <= accountAllowance, `${failures} wrong passwords were evaluated`);
      assert.equal(failures, statuses(responses).get(401) ?? 0);

      // Locked for everyone, whichever address asks, until the lock-out ends.
      assert.equal((await attacker.signin(email, testPassword)).status, 429);
      assert.equal((await new TestBrowser(server.app).signin(email, testPassword)).status, 429);
      server.clock.advance(61_000);
      assert.equal((await new TestBrowser(server.app).signin(email, testPassword)).status, 200);
    });

    it('sign-in: after a lock-out ends, a burst gets exactly one more look', async () => {
      const { browser: owner, email } = await victim();
      const attacker = new TestBrowser(server.app);
      await burst(
        () => attacker.signin(email, wrongPassword),
        () => attacker.signin(email, wrongPassword),
      );
      const before = await countEvents(owner, 'signin_failed');
      server.clock.advance(61_000);
      const responses = await burst(
        () => attacker.signin(email, wrongPassword),
        () => attacker.signin(email, testPassword),
      );
      assert.deepEqual([...statuses(responses)], [[429, burstSize]]);
      assert.equal((await countEvents(owner, 'signin_failed')) - before, 1);
    });

    it('second factor: a burst of wrong codes against one challenge gets 5 looks', async () => {
      const { browser: owner, email } = await victim();
      const secret = await enableTotp(owner);
      const attacker = new TestBrowser(server.app);
      const first = await attacker.signin(email, testPassword);
      assert.equal(first.body.status, 'second_factor_required');
      const challenge = first.body.challenge ?? '';
      const nextWrong = wrongCodes(secret, server.clock.now());
      const tryCode = (totp: string) =>
        attacker.request('POST', '/api/v1/auth/signin/second-factor', {
          body: { challenge, totp },
        });
      const responses = await burst(
        () => tryCode(nextWrong()),
        () => tryCode(totpCode(secret, server.clock.now())),
      );
      assert.notEqual(responses.at(-1)?.status, 200, 'the right code inside the burst');
      const tally = statuses(responses);
      assert.equal(tally.get(200), undefined);
      const failures = await countEvents(owner, 'signin_failed');
      assert.ok(failures <= accountAllowance, `${failures} wrong codes were evaluated`);
      assert.equal(failures, tally.get(401) ?? 0);
      // The challenge is used up and the account locked: the right code does not sign in.
      const after = await tryCode(totpCode(secret, server.clock.now()));
      assert.notEqual(after.status, 200);
    });

    it('vault unlock: a burst of wrong passwords gets 5 looks; the vault stays shut', async () => {
      const { browser } = await victim();
      const unlock = (password: string) =>
        browser.request('POST', '/api/v1/vault/unlock', { body: { password } });
      const responses = await burst(
        () => unlock(wrongPassword),
        () => unlock(testPassword),
      );
      assert.equal(responses.at(-1)?.status, 429, 'the right password inside the burst');
      assertOnlyRefusalsAndFailures(responses, 401);
      const failures = await countEvents(browser, 'vault_unlock_failed');
      assert.ok(failures <= accountAllowance, `${failures} wrong passwords were evaluated`);
      assert.equal((await unlock(testPassword)).status, 429);
      const vault = await browser.request<{ locked: boolean }>('GET', '/api/v1/vault');
      assert.equal(vault.body.locked, true);
      server.clock.advance(61_000);
      assert.equal((await unlock(testPassword)).status, 200);
    });

    it('export: a burst of wrong passwords gets 5 looks and exports nothing', async () => {
      const { browser } = await victim();
      const exportWith = (password: string) =>
        browser.request('POST', '/api/v1/keys/export', { body: { format: 'json', password } });
      const responses = await burst(
        () => exportWith(wrongPassword),
        () => exportWith(testPassword),
      );
      assert.equal(responses.at(-1)?.status, 429, 'the right password inside the burst');
      assertOnlyRefusalsAndFailures(responses, 401);
      const failures = await countEvents(browser, 'keys_export_failed');
      assert.ok(failures <= accountAllowance, `${failures} wrong passwords were evaluated`);
      assert.equal(await countEvents(browser, 'keys_exported'), 0);
      assert.equal((await exportWith(testPassword)).status, 429);
    });

    it('password change: a burst of wrong current passwords gets 5 looks and changes nothing', async () => {
      const { browser, email } = await victim();
      const change = (currentPassword: string) =>
        browser.request('POST', '/api/v1/auth/password', {
          body: { currentPassword, newPassword: 'a brand new passphrase' },
        });
      const responses = await burst(
        () => change(wrongPassword),
        () => change(testPassword),
      );
      assert.equal(responses.at(-1)?.status, 429, 'the right password inside the burst');
      assertOnlyRefusalsAndFailures(responses, 401);
      const failures = await countEvents(browser, 'password_check_failed');
      assert.ok(failures <= accountAllowance, `${failures} wrong passwords were evaluated`);
      assert.equal(await countEvents(browser, 'password_changed'), 0);
      assert.equal((await change(testPassword)).status, 429);
      server.clock.advance(61_000);
      assert.equal((await new TestBrowser(server.app).signin(email, testPassword)).status, 200);
    });

    it('device sign-in: a burst of typed user codes gets 10 look-ups; the real code sent last is refused', async () => {
      const { browser } = await victim();
      const client = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      const codes = await client.request<{ user_code: string }>(
        'POST',
        '/api/v1/device/authorize',
        { body: { client_id: 'keyhold-cli', scope: 'keys', device_name: 'laptop' } },
      );
      const lookUp = (userCode: string) =>
        browser.request('POST', '/api/v1/device/lookup', { body: { userCode } });
      const responses = await burst(
        () => lookUp('BCDF-GHJK'),
        () => lookUp(codes.body.user_code),
      );
      assert.equal(responses.at(-1)?.status, 429, 'the real code inside the burst');
      const tally = statuses(responses);
      assert.ok((tally.get(404) ?? 0) <= 10, JSON.stringify([...tally]));
      assert.equal((tally.get(404) ?? 0) + (tally.get(429) ?? 0), burstSize);
    });
  });

  describe(
    `credential reservations shared by several processes on ${kind.name}`,
    {
      skip: kind.skip,
    },
    () => {
      // One connection per server process, as `keyhold serve --workers 4` has.
      const processes = 4;
      let databases: Database[] = [];
      let cleanup: () => Promise<void> = () => Promise.resolve();
      const clock = new TestClock();
      let limiters: CredentialLimiter[] = [];

      before(async () => {
        const testDb = await createTestDatabase(kind.name);
        cleanup = () => testDb.cleanup();
        databases = Array.from({ length: processes }, () => testDb.open());
        await migrateToLatest(databases[0]!);
        limiters = databases.map((database) => new CredentialLimiter(database.db, clock.now));
      });
      after(async () => {
        await Promise.all(databases.map((database) => database.close()));
        await cleanup();
      });

      /** 200 reservations at once, spread over the processes: how many were granted. */
      async function reserveBurst(key: string): Promise<number> {
        const outcomes = await Promise.allSettled(
          Array.from({ length: burstSize }, (_, index) =>
            limiters[index % processes]!.reserve([{ key, policy: policies.account }]),
          ),
        );
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof RateLimitedError);
        }
        return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
      }

      it('grant exactly the allowance, then one trial per ended lock-out', async () => {
        assert.equal(await reserveBurst('account:burst'), accountAllowance);
        assert.equal(await reserveBurst('account:burst'), 0);
        clock.advance(61_000);
        assert.equal(await reserveBurst('account:burst'), 1);
        clock.advance(2 * 60_000 + 1_000);
        assert.equal(await reserveBurst('account:burst'), 1);
      });

      it('give a released attempt back, lifting the lock-out a successful trial had taken', async () => {
        const limiter = limiters[0]!;
        const key = 'credentials-ip:192.0.2.7';
        for (let i = 0; i < accountAllowance; i++) {
          await limiter.reserve([{ key, policy: policies.account }]);
        }
        await assert.rejects(
          limiter.reserve([{ key, policy: policies.account }]),
          RateLimitedError,
        );
        clock.advance(61_000);
        const [trial] = await limiter.reserve([{ key, policy: policies.account }]);
        assert.ok(trial?.lockedUntil, 'the trial locks the key while it runs');
        await assert.rejects(
          limiter.reserve([{ key, policy: policies.account }]),
          RateLimitedError,
        );
        await limiter.release(trial);
        assert.equal(await reserveBurst(key), 1);
      });
    },
  );
}
