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
import type { FindAnswer as FindReply } from '../../../api/find.js';

for (const kind of databaseKinds) {
  describe(`find my key on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    it('searches every account signed in to the browser, and only those', async () => {
      const browser = new TestBrowser(server.app);
      const home = uniqueEmail('home');
      const work = uniqueEmail('work');
      const homeId = await browser.signup(home, testPassword);
      const homeKey = await addKey(browser, randomKey(), homeId);
      const workId = await browser.signup(work, testPassword);
      const workKey = await addKey(browser, randomKey(), workId);
      // A stranger holding a key with the same first 8 characters is never found.
      const stranger = new TestBrowser(server.app);
      await stranger.signup(uniqueEmail('stranger'), testPassword);
      await addKey(
        stranger,
        randomKey({ protectorId: `${homeKey.shortId}-0000-4000-8000-000000000000` }),
      );

      const found = await browser.request<FindReply>(
        'GET',
        `/api/v1/find?keyId=${homeKey.shortId.toLowerCase()}`,
        { account: workId },
      );
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.matches.map((match) => [match.email, match.keys.map((key) => key.id)]),
        [[home, [homeKey.id]]],
      );
      assert.ok(!JSON.stringify(found.body).includes('recoveryPassword'));

      const other = await browser.request<FindReply>(
        'GET',
        `/api/v1/find?keyId=${workKey.shortId}`,
      );
      assert.deepEqual(
        other.body.matches.map((match) => match.accountId),
        [workId],
      );
    });

    it('finds a deleted key too, and always lists the other places to look', async () => {
      const browser = new TestBrowser(server.app);
      const first = uniqueEmail('first');
      await browser.signup(first, testPassword);
      const key = await addKey(browser, randomKey());
      await browser.request('DELETE', `/api/v1/keys/${key.id}`, { body: { confirmSaved: true } });
      const deleted = await browser.request<FindReply>('GET', `/api/v1/find?keyId=${key.shortId}`);
      assert.notEqual(deleted.body.matches[0]?.keys[0]?.deletedAt, null);

      // Sign in to a second account and out of the first: the first is a place to look.
      await browser.signup(uniqueEmail('second'), testPassword);
      const firstId = (
        await browser.request<{ accounts: { id: string; email: string }[] }>(
          'GET',
          '/api/v1/auth/accounts',
        )
      ).body.accounts.find((account) => account.email === first)?.id;
      await browser.request('POST', '/api/v1/auth/signout', { body: {}, account: firstId ?? '' });
      const nothing = await browser.request<FindReply>('GET', `/api/v1/find?keyId=${key.shortId}`);
      assert.deepEqual(nothing.body.matches, []);
      assert.deepEqual(
        nothing.body.elsewhere.map((place) => place.place),
        ['paper', 'usb', 'file', 'other-account', 'organisation'],
      );
      const otherAccount = nothing.body.elsewhere.find((place) => place.place === 'other-account');
      assert.deepEqual(
        otherAccount?.accounts?.map((account) => account.email),
        [first],
      );
    });

    it('explains a Key ID it cannot search for', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('typo'), testPassword);
      const short = await browser.request<ErrorReply>('GET', '/api/v1/find?keyId=6AB');
      assert.equal(short.status, 400);
      assert.match(short.body.error.message, /at least 4 characters/);
      const notHex = await browser.request<ErrorReply>('GET', '/api/v1/find?keyId=64311DEG');
      assert.equal(notHex.status, 400);
      assert.match(notHex.body.error.message, /0-9 and letters A-F/);
    });
  });
}
