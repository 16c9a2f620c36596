import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
} from '../../../../test/server/key-library.js';
import { totpCode } from '../auth/totp.js';

for (const kind of databaseKinds) {
  describe(`the export with an authenticator app on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    it('answers a code used once already with "already used", as sign-in does', async () => {
      const email = uniqueEmail('export');
      const browser = new TestBrowser(server.app);
      await browser.signup(email, testPassword);
      await addKey(browser, randomKey());
      const enrol = await browser.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password: testPassword },
      });
      const secret = enrol.body.secret;
      await browser.request('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(secret, server.clock.now()) },
      });
      server.clock.advance(31_000);

      const code = totpCode(secret, server.clock.now());
      const exportWith = (totp: string) =>
        browser.request<ErrorReply>('POST', '/api/v1/keys/export', {
          body: { format: 'json', totpCode: totp },
        });
      assert.equal((await exportWith(code)).status, 200);
      const again = await exportWith(code);
      assert.equal(again.status, 401);
      assert.equal(again.body.error.code, 'code_already_used');
      assert.match(again.body.error.message, /already used/);

      const wrongDigit = code.startsWith('0') ? `1${code.slice(1)}` : `0${code.slice(1)}`;
      const wrong = await exportWith(wrongDigit);
      assert.equal(wrong.body.error.code, 'invalid_credentials');

      // Sign-in gives the same answer for the same code.
      const other = new TestBrowser(server.app);
      const challenge = (await other.signin(email, testPassword)).body.challenge;
      const signin = await other.request<ErrorReply>('POST', '/api/v1/auth/signin/second-factor', {
        body: { challenge, totp: code },
      });
      assert.equal(signin.body.error.code, 'code_already_used');
    });
  });
}
