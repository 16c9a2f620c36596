import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  browserSkip,
  launchChromium,
  newPerson,
  openContext,
  startKeyhold,
  type KeyholdServer,
} from '../e2e/browser.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { testPassword, uniqueEmail, type ErrorReply } from '../server/key-library.js';

/**
 * Passwords a guesser tries first: breached and common ones, also with a capital letter, letters
 * written as digits or symbols, or digits and punctuation added, and the person's own name.
 */

type WeakReply = ErrorReply & { error: { details: { reasons: string[]; codes: string[] } } };

const acceptedBefore = ['Password2025!', 'letmein12345', 'keyhold2025', 'Summer2025!!'];

for (const kind of databaseKinds) {
  describe(`weak passwords on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    function signup(email: string, displayName: string, password: string) {
      return new TestBrowser(server.app).request<WeakReply>('POST', '/api/v1/auth/signup', {
        body: { email, displayName, password },
      });
    }

    it('refuses common passwords dressed up with capitals, digits and punctuation', async () => {
      for (const password of [...acceptedBefore, 'P@ssw0rd2026', '$ummer2025!!']) {
        const refused = await signup(uniqueEmail('someone'), 'Someone', password);
        assert.equal(refused.status, 400, password);
        assert.equal(refused.body.error.code, 'weak_password');
        assert.deepEqual(refused.body.error.details.codes, ['common'], password);
        assert.match(refused.body.error.message, /one of the most common passwords/);
        assert.deepEqual(refused.body.error.details.reasons, [
          'it is one of the most common passwords',
        ]);
      }
    });

    it('refuses the person’s own name with digits added', async () => {
      const refused = await signup(uniqueEmail('dave'), 'Dave', 'Dave12345678');
      assert.equal(refused.status, 400);
      assert.ok(refused.body.error.details.codes.includes('personal'));
      const other = await signup(uniqueEmail('ola.normann'), 'Ola Normann', 'Normann2025!!');
      assert.deepEqual(other.body.error.details.codes, ['personal']);
    });

    it('refuses them as a new password too, and keeps the old one', async () => {
      const email = uniqueEmail('changer');
      const browser = new TestBrowser(server.app);
      await browser.signup(email, testPassword);
      const refused = await browser.request<WeakReply>('POST', '/api/v1/auth/password', {
        body: { currentPassword: testPassword, newPassword: 'Summer2025!!' },
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.error.details.codes, ['common']);
      assert.equal((await new TestBrowser(server.app).signin(email, testPassword)).status, 200);
    });
  });
}

describe('a weak password on the sign-up page', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  before(async () => {
    server = await startKeyhold();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.stop();
  });

  const languages = [
    {
      locale: 'en-GB',
      labels: ['Your name', 'Email address', 'Password', 'Create account'],
      reason: 'Choose another password: it is one of the most common passwords',
    },
    {
      locale: 'nb-NO',
      labels: ['Navnet ditt', 'E-postadresse', 'Passord', 'Opprett konto'],
      reason: 'Velg et annet passord: det er et av de vanligste passordene',
    },
  ];

  for (const { locale, labels, reason } of languages) {
    it(`says why in the reader's language (${locale})`, async () => {
      const [nameLabel = '', emailLabel = '', passwordLabel = '', submit = ''] = labels;
      const { context } = await openContext(browser, { locale });
      const page = await context.newPage();
      const person = newPerson('Kari Nordmann');
      await page.goto(`${server.url}/sign-up`);
      await page.getByLabel(nameLabel).fill(person.name);
      await page.getByLabel(emailLabel).fill(person.email);
      await page.getByLabel(passwordLabel, { exact: true }).fill('Summer2025!!');
      await page.getByRole('button', { name: submit }).click();
      await page.getByRole('alert').getByText(reason).waitFor();
      await context.close();
    });
  }
});
