import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { totpCode } from './totp.js';
import type {
  AccountList as AccountsReply,
  Me as MeReply,
  SessionList as SessionsReply,
} from '../../../api/auth.js';
import type { AuditPage } from '../../../api/audit.js';
import type { ErrorBody as ErrorReply } from '../../../api/errors.js';

const password = 'correct horse battery';
let emailCounter = 0;
/** A fresh address per test, so tests in one file never share an account. */
function email(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}@example.org`;
}

for (const kind of databaseKinds) {
  describe(`accounts and sign-in on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    it('signs up with a browser cookie that scripts cannot read', async () => {
      const browser = new TestBrowser(server.app);
      const response = await browser.request<{ status: string; account: { email: string } }>(
        'POST',
        '/api/v1/auth/signup',
        { body: { email: '  Ada.Lovelace@Example.org ', displayName: 'Ada', password } },
      );
      assert.equal(response.status, 201);
      assert.equal(response.body.status, 'signed_in');
      assert.equal(response.body.account.email, 'Ada.Lovelace@Example.org');
      const setCookie = String(response.headers['set-cookie']);
      // Plain HTTP on loopback: no Secure, so no __Host- prefix (see docs/api.md).
      assert.match(setCookie, /^keyhold-browser=[\w-]{43};/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.match(setCookie, /Path=\//);
      assert.doesNotMatch(setCookie, /Domain=/);
      assert.equal(typeof browser.csrfToken, 'string');

      const again = await new TestBrowser(server.app).request<ErrorReply>(
        'POST',
        '/api/v1/auth/signup',
        { body: { email: 'ada.lovelace@example.org', displayName: 'Ada 2', password } },
      );
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
    });

    it('refuses weak passwords and says why', async () => {
      const browser = new TestBrowser(server.app);
      const cases: [string, RegExp][] = [
        ['short1', /at least 10 characters/],
        ['password123', /most common passwords/],
        ['aaaaaaaaaaaa', /run or a repetition/],
        // A run that breaches have made common is refused as common.
        ['1234567890', /most common passwords/],
        ['zyxwvutsrqpo', /run or a repetition/],
        ['grace.hopper.x', /mostly your email or name/],
      ];
      for (const [weak, reason] of cases) {
        const response = await browser.request<ErrorReply>('POST', '/api/v1/auth/signup', {
          body: { email: 'grace.hopper@example.org', displayName: 'Grace', password: weak },
        });
        assert.equal(response.status, 400, weak);
        assert.equal(response.body.error.code, 'weak_password');
        assert.match(response.body.error.message, reason);
        assert.doesNotMatch(JSON.stringify(response.body), new RegExp(weak));
      }
    });

    it('identifies known and unknown emails alike, greeting by name only where known', async () => {
      const known = email('known');
      const browser = new TestBrowser(server.app);
      await browser.signup(known, password, 'Known Person');
      const stranger = new TestBrowser(server.app);

      const forStranger = await stranger.request('POST', '/api/v1/auth/identify', {
        body: { email: known },
      });
      const unknown = await stranger.request('POST', '/api/v1/auth/identify', {
        body: { email: 'nobody.here@example.org' },
      });
      assert.equal(forStranger.status, 200);
      assert.equal(unknown.status, 200);
      assert.deepEqual(Object.keys(forStranger.body).sort(), Object.keys(unknown.body).sort());
      assert.deepEqual(forStranger.body.methods, unknown.body.methods);
      assert.equal(forStranger.body.displayName, known.split('@')[0]);
      assert.equal(unknown.body.displayName, 'nobody.here');

      const forOwnBrowser = await browser.request('POST', '/api/v1/auth/identify', {
        body: { email: known },
      });
      assert.equal(forOwnBrowser.body.displayName, 'Known Person');
    });

    it('answers a wrong password and an unknown email with the same generic failure', async () => {
      const address = email('generic');
      await new TestBrowser(server.app).signup(address, password);
      const browser = new TestBrowser(server.app);
      const wrong = await browser.signin(address, 'not the password at all');
      const unknown = await browser.signin(email('missing'), 'not the password at all');
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, unknown.body);
      assert.deepEqual(wrong.body, {
        error: { code: 'invalid_credentials', message: 'The email or password is not right.' },
      });
    });

    it('keeps several accounts signed in to one browser and acts as the one asked for', async () => {
      const browser = new TestBrowser(server.app);
      const first = await browser.signup(email('first'), password, 'First');
      const second = await browser.signup(email('second'), password, 'Second');

      const accounts = await browser.request<AccountsReply>('GET', '/api/v1/auth/accounts');
      assert.deepEqual(
        accounts.body.accounts.map((a) => [a.displayName, a.signedIn, a.isDefault]),
        [
          ['Second', true, true],
          ['First', true, false],
        ],
      );
      const asDefault = await browser.request<MeReply>('GET', '/api/v1/auth/me');
      assert.equal(asDefault.body.account.id, second);
      const asFirst = await browser.request<MeReply>('GET', '/api/v1/auth/me', { account: first });
      assert.equal(asFirst.body.account.id, first);

      const stranger = await browser.request<ErrorReply>('GET', '/api/v1/auth/me', {
        account: '01900000-0000-7000-8000-000000000000',
      });
      assert.equal(stranger.status, 401);
      assert.match(stranger.body.error.message, /not signed in in this browser/);

      const signout = await browser.request<AccountsReply>('POST', '/api/v1/auth/signout', {
        account: second,
        body: {},
      });
      assert.equal(signout.status, 200);
      assert.deepEqual(
        signout.body.accounts.map((a) => [a.displayName, a.signedIn, a.isDefault]),
        [
          ['First', true, true],
          ['Second', false, false],
        ],
      );
      const afterSignout = await browser.request<MeReply>('GET', '/api/v1/auth/me');
      assert.equal(afterSignout.body.account.id, first);
      const signedOut = await browser.request('GET', '/api/v1/auth/me', { account: second });
      assert.equal(signedOut.status, 401);

      const forgotten = await browser.request<AccountsReply>(
        'DELETE',
        `/api/v1/auth/accounts/${second}`,
      );
      assert.deepEqual(
        forgotten.body.accounts.map((a) => a.id),
        [first],
      );
    });

    it('rotates the browser token at every sign-in, keeping the accounts attached', async () => {
      const browser = new TestBrowser(server.app);
      const first = await browser.signup(email('rotate'), password);
      const before = browser.cookies.get('keyhold-browser');
      const csrfBefore = browser.csrfToken;
      const address = email('rotate-two');
      await new TestBrowser(server.app).signup(address, password);
      const signin = await browser.signin(address, password);
      assert.equal(signin.status, 200);
      assert.notEqual(browser.cookies.get('keyhold-browser'), before);
      assert.equal(browser.csrfToken, csrfBefore);

      const stale = new TestBrowser(server.app);
      stale.cookies.set('keyhold-browser', before ?? '');
      const refused = await stale.request('GET', '/api/v1/auth/me');
      assert.equal(refused.status, 401);
      const stillThere = await browser.request<MeReply>('GET', '/api/v1/auth/me', {
        account: first,
      });
      assert.equal(stillThere.status, 200);
    });

    it('lists sessions with their device and last use, and ends one or all others', async () => {
      const address = email('sessions');
      const laptop = new TestBrowser(server.app);
      await laptop.signup(address, password);
      const phone = new TestBrowser(
        server.app,
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
      );
      await phone.signin(address, password);
      const tablet = new TestBrowser(server.app, 'curl/7.88.1');
      await tablet.signin(address, password);

      const listed = await laptop.request<SessionsReply>('GET', '/api/v1/auth/sessions');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.sessions.map((s) => s.device).sort(), [
        'Firefox on Linux',
        'Safari on iOS',
        'curl',
      ]);
      assert.equal(listed.body.sessions.filter((s) => s.current).length, 1);
      assert.ok(listed.body.sessions.every((s) => !Number.isNaN(Date.parse(s.lastUsedAt))));
      assert.doesNotMatch(JSON.stringify(listed.body), /token|hash/i);

      const phoneSession = (
        await phone.request<SessionsReply>('GET', '/api/v1/auth/sessions')
      ).body.sessions.find((s) => s.current);
      const one = await laptop.request<{ session: { device: string; current: boolean } }>(
        'GET',
        `/api/v1/auth/sessions/${phoneSession?.id}`,
      );
      assert.deepEqual(
        [one.body.session.device, one.body.session.current],
        ['Safari on iOS', false],
      );
      const revoke = await laptop.request('DELETE', `/api/v1/auth/sessions/${phoneSession?.id}`);
      assert.equal(revoke.status, 204);
      assert.equal((await phone.request('GET', '/api/v1/auth/me')).status, 401);
      const again = await laptop.request('DELETE', `/api/v1/auth/sessions/${phoneSession?.id}`);
      assert.equal(again.status, 404);
      const gone = await laptop.request('GET', `/api/v1/auth/sessions/${phoneSession?.id}`);
      assert.equal(gone.status, 404);

      const others = await laptop.request<{ revoked: number }>('DELETE', '/api/v1/auth/sessions');
      assert.deepEqual(others.body, { revoked: 1, tokensRevoked: 0 });
      assert.equal((await tablet.request('GET', '/api/v1/auth/me')).status, 401);
      assert.equal((await laptop.request('GET', '/api/v1/auth/me')).status, 200);
    });

    it('ends a session after 14 days without use', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(email('idle'), password);
      server.clock.advance(13 * 86_400_000);
      assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
      server.clock.advance(14 * 86_400_000 + 1000);
      assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 401);
    });

    it('changes the password, ending every other session', async () => {
      const address = email('change');
      const here = new TestBrowser(server.app);
      await here.signup(address, password);
      const elsewhere = new TestBrowser(server.app);
      await elsewhere.signin(address, password);

      const wrongCurrent = await here.request<ErrorReply>('POST', '/api/v1/auth/password', {
        body: { currentPassword: 'not my password', newPassword: 'a new passphrase here' },
      });
      assert.equal(wrongCurrent.status, 401);
      const weak = await here.request<ErrorReply>('POST', '/api/v1/auth/password', {
        body: { currentPassword: password, newPassword: 'short' },
      });
      assert.equal(weak.body.error.code, 'weak_password');

      const changed = await here.request('POST', '/api/v1/auth/password', {
        body: { currentPassword: password, newPassword: 'a new passphrase here' },
      });
      assert.deepEqual(changed.body, { revokedSessions: 1 });
      assert.equal((await elsewhere.request('GET', '/api/v1/auth/me')).status, 401);
      assert.equal((await here.request('GET', '/api/v1/auth/me')).status, 200);
      const fresh = new TestBrowser(server.app);
      assert.equal((await fresh.signin(address, password)).status, 401);
      assert.equal((await fresh.signin(address, 'a new passphrase here')).status, 200);
    });

    it('asks for TOTP after the password, accepts each code once, and recovery codes once', async () => {
      const address = email('totp');
      const browser = new TestBrowser(server.app);
      await browser.signup(address, password);
      const enrol = await browser.request<{ secret: string; otpauthUri: string }>(
        'POST',
        '/api/v1/auth/totp/enrol',
        { body: { password } },
      );
      assert.equal(enrol.status, 200);
      assert.match(enrol.body.otpauthUri, /^otpauth:\/\/totp\/Keyhold:/);
      const secret = enrol.body.secret;
      const confirm = await browser.request<{
        account: { totpEnabled: boolean; recoveryCodesRemaining: number };
        recoveryCodes: string[];
      }>('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(secret, server.clock.now()) },
      });
      assert.equal(confirm.status, 200);
      assert.equal(confirm.body.account.totpEnabled, true);
      assert.equal(confirm.body.recoveryCodes.length, 10);
      assert.equal(confirm.body.account.recoveryCodesRemaining, 10);
      const [firstCode] = confirm.body.recoveryCodes;

      const other = new TestBrowser(server.app);
      const step1 = await other.signin(address, password);
      assert.equal(step1.body.status, 'second_factor_required');
      assert.equal((await other.request('GET', '/api/v1/auth/me')).status, 401);
      const challenge = step1.body.challenge;

      // The code used to confirm enrolment has been used: it does not work a second time.
      const replay = await other.request<ErrorReply>('POST', '/api/v1/auth/signin/second-factor', {
        body: { challenge, totp: totpCode(secret, server.clock.now()) },
      });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error.code, 'code_already_used');

      server.clock.advance(30_000);
      const good = await other.request<MeReply>('POST', '/api/v1/auth/signin/second-factor', {
        body: { challenge, totp: totpCode(secret, server.clock.now()) },
      });
      assert.equal(good.status, 200);
      assert.equal((await other.request('GET', '/api/v1/auth/me')).status, 200);
      const used = await other.request<ErrorReply>('POST', '/api/v1/auth/signin/second-factor', {
        body: { challenge, totp: totpCode(secret, server.clock.now()) },
      });
      assert.equal(used.body.error.code, 'signin_expired');

      const third = new TestBrowser(server.app);
      const viaCode = await third.request<MeReply>('POST', '/api/v1/auth/signin/second-factor', {
        body: {
          challenge: (await third.signin(address, password)).body.challenge,
          recoveryCode: firstCode?.toUpperCase().replaceAll('-', ' '),
        },
      });
      assert.equal(viaCode.status, 200);
      assert.equal(viaCode.body.account.recoveryCodesRemaining, 9);
      const fourth = new TestBrowser(server.app);
      const reused = await fourth.request('POST', '/api/v1/auth/signin/second-factor', {
        body: {
          challenge: (await fourth.signin(address, password)).body.challenge,
          recoveryCode: firstCode,
        },
      });
      assert.equal(reused.status, 401);

      const disabled = await browser.request<{ account: { totpEnabled: boolean } }>(
        'POST',
        '/api/v1/auth/totp/disable',
        { body: { password } },
      );
      assert.equal(disabled.body.account.totpEnabled, false);
      assert.equal(
        (await new TestBrowser(server.app).signin(address, password)).body.status,
        'signed_in',
      );
    });

    it('refuses cookie-authenticated changes without the CSRF token or from other sites', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(email('csrf'), password);
      const token = browser.csrfToken ?? '';
      const change = (headers: Record<string, string>) =>
        browser.request<ErrorReply>('PATCH', '/api/v1/auth/me', {
          body: { displayName: 'Changed' },
          headers,
        });

      browser.csrfToken = undefined;
      assert.equal((await change({})).body.error.code, 'csrf_failed');
      assert.equal((await change({ 'x-keyhold-csrf': 'guess' })).status, 403);
      assert.equal(
        (await change({ 'x-keyhold-csrf': token, origin: 'https://evil.example' })).status,
        403,
      );
      assert.equal(
        (await change({ 'x-keyhold-csrf': token, 'sec-fetch-site': 'cross-site' })).status,
        403,
      );
      const ok = await change({
        'x-keyhold-csrf': token,
        origin: 'http://localhost:80',
        'sec-fetch-site': 'same-origin',
      });
      assert.equal(ok.status, 200);
      // Reading needs no token.
      assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
    });

    it('locks out guessing with growing delays, for known and unknown emails alike', async () => {
      const address = email('locked');
      await new TestBrowser(server.app).signup(address, password);
      for (const target of [address, email('unknown')]) {
        const browser = new TestBrowser(server.app);
        for (let attempt = 1; attempt <= 5; attempt += 1) {
          assert.equal((await browser.signin(target, 'wrong guess number x')).status, 401);
        }
        const sixth = await browser.signin(target, 'wrong guess number x');
        assert.equal(sixth.status, 429);
        assert.equal(sixth.headers['retry-after'], '60');
        assert.deepEqual(sixth.body, {
          error: {
            code: 'rate_limited',
            message: 'Too many attempts. Try again in 1 minute.',
            details: { retryAfterSeconds: 60 },
          },
        });
        // While locked, even the right password is not looked at.
        assert.equal((await browser.signin(target, password)).status, 429);
        server.clock.advance(61_000);
        const seventh = await browser.signin(target, 'wrong guess number x');
        assert.equal(seventh.status, 429);
        assert.match((seventh.body as unknown as ErrorReply).error.message, /2 minutes/);
      }
      server.clock.advance(121_000);
      const browser = new TestBrowser(server.app);
      assert.equal((await browser.signin(address, password)).status, 200);
      // A successful sign-in clears the account's counter.
      assert.equal((await browser.signin(address, 'wrong guess number x')).status, 401);
    });

    it('records sign-ins and failures in the audit log the person can read', async () => {
      const address = email('audited');
      const browser = new TestBrowser(server.app);
      const id = await browser.signup(address, password);
      await new TestBrowser(server.app).signin(address, 'wrong password here');
      const audit = await browser.request<AuditPage>('GET', '/api/v1/audit');
      assert.equal(audit.status, 200);
      assert.deepEqual(
        audit.body.events.map((e) => e.action),
        ['signin_failed', 'signin', 'signup'],
      );
      assert.equal(audit.body.events[1]?.actorAccountId, id);
      assert.doesNotMatch(JSON.stringify(audit.body), /wrong password here|correct horse/);

      const firstPage = await browser.request<{ events: unknown[]; nextCursor: string }>(
        'GET',
        '/api/v1/audit?limit=2',
      );
      assert.equal(firstPage.body.events.length, 2);
      const secondPage = await browser.request<{ events: { action: string }[]; nextCursor: null }>(
        'GET',
        `/api/v1/audit?limit=2&before=${firstPage.body.nextCursor}`,
      );
      assert.deepEqual(
        secondPage.body.events.map((e) => e.action),
        ['signup'],
      );
      assert.equal(secondPage.body.nextCursor, null);
    });
  });
}

describe('behind HTTPS', () => {
  it('uses a __Host- cookie marked Secure, sends HSTS and expects its public origin', async () => {
    const server = await startTestApp('sqlite', {
      flags: { publicUrl: 'https://keys.example.org', behindProxy: true },
    });
    try {
      const browser = new TestBrowser(server.app);
      const signup = await browser.request('POST', '/api/v1/auth/signup', {
        body: { email: 'secure@example.org', displayName: 'Secure', password },
        headers: { origin: 'https://keys.example.org' },
      });
      assert.equal(signup.status, 201);
      const setCookie = String(signup.headers['set-cookie']);
      assert.match(setCookie, /^__Host-keyhold-browser=[\w-]{43};/);
      assert.match(setCookie, /; Secure/);
      assert.match(setCookie, /; HttpOnly/);
      assert.match(setCookie, /; SameSite=Strict/);
      assert.match(String(signup.headers['strict-transport-security']), /max-age=31536000/);

      const fromElsewhere = await browser.request<ErrorReply>('PATCH', '/api/v1/auth/me', {
        body: { displayName: 'Changed' },
        headers: { origin: 'http://keys.example.org' },
      });
      assert.equal(fromElsewhere.body.error.code, 'csrf_failed');
      const fromHome = await browser.request('PATCH', '/api/v1/auth/me', {
        body: { displayName: 'Changed' },
        headers: { origin: 'https://keys.example.org' },
      });
      assert.equal(fromHome.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('logs', () => {
  it('never contain the password, the TOTP secret or the cookies, even at trace level', async () => {
    const server = await startTestApp('sqlite', { logLevel: 'trace' });
    try {
      const secretPassword = 'Zebra-Lantern-Quartz-7193';
      const browser = new TestBrowser(server.app);
      await browser.signup('logged@example.org', secretPassword);
      await browser.signin('logged@example.org', secretPassword);
      await browser.signin('logged@example.org', `${secretPassword}-wrong`);
      const enrol = await browser.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password: secretPassword },
      });
      const log = server.log();
      assert.ok(log.includes('/api/v1/auth/signin'), 'requests are logged');
      assert.equal(log.includes(secretPassword), false);
      assert.equal(log.includes(enrol.body.secret), false);
      for (const value of browser.cookies.values()) assert.equal(log.includes(value), false);
      assert.equal(log.includes(browser.csrfToken ?? 'no token'), false);
    } finally {
      await server.close();
    }
  });
});
