import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../server/key-library.js';

function cookieHeader(browser: TestBrowser): string {
  return [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

for (const kind of databaseKinds) {
  describe(`the vault and backup records hold on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedIn() {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('mallory'), testPassword);
      return browser;
    }

    const summary = async (browser: TestBrowser, id: string) =>
      (await browser.request<{ key: KeySummaryReply }>('GET', `/api/v1/keys/${id}`)).body.key;

    const backups = async (browser: TestBrowser, id: string) =>
      (
        await browser.request<{ items: { destination: string }[] }>(
          'GET',
          `/api/v1/keys/${id}/backups`,
        )
      ).body.items.map((backup) => backup.destination);

    const auditActions = async (browser: TestBrowser) =>
      (
        await browser.request<{ events: { action: string }[] }>('GET', '/api/v1/audit')
      ).body.events.map((event) => event.action);

    it('refuses to delete a vault key while the vault is locked, and deletes it once open', async () => {
      const browser = await signedIn();
      const key = await addKey(browser, randomKey());
      assert.equal((await browser.request('POST', `/api/v1/keys/${key.id}/vault`)).status, 200);

      const locked = await browser.request<ErrorReply>('DELETE', `/api/v1/keys/${key.id}`, {
        body: { confirmSaved: true },
      });
      assert.equal(locked.status, 423);
      assert.equal(locked.body.error.code, 'vault_locked');
      const kept = await summary(browser, key.id);
      assert.equal(kept.deletedAt, null, 'the key is still in the library');
      const bin = await browser.request<{ items: { id: string }[] }>(
        'GET',
        '/api/v1/keys?deleted=true',
      );
      assert.deepEqual(bin.body.items, [], 'nothing reached the bin, so nothing can be purged');

      const opened = await browser.request('POST', '/api/v1/vault/unlock', {
        body: { password: testPassword },
      });
      assert.equal(opened.status, 200);
      const deleted = await browser.request<{ key: KeySummaryReply }>(
        'DELETE',
        `/api/v1/keys/${key.id}`,
        { body: { confirmSaved: true } },
      );
      assert.equal(deleted.status, 200);
      assert.notEqual(deleted.body.key.deletedAt, null);
    });

    it('records no backup for HEAD or GET of the recovery file or sheet; only an explicit record does', async () => {
      const browser = await signedIn();
      const key = await addKey(browser, randomKey());
      const headers = { cookie: cookieHeader(browser) };
      for (const path of ['recovery-file?lang=en', 'sheet.pdf?paper=a4']) {
        const head = await server.app.inject({
          method: 'HEAD',
          url: `/api/v1/keys/${key.id}/${path}`,
          headers,
        });
        assert.ok(head.statusCode >= 400, `HEAD ${path} hands nothing over (${head.statusCode})`);
      }
      assert.deepEqual(await backups(browser, key.id), ['account']);
      assert.ok(
        !(await auditActions(browser)).some((action) => /downloaded|printed/.test(action)),
        'HEAD leaves no trace of a download',
      );

      for (const path of ['recovery-file?lang=en', 'sheet.pdf?paper=a4']) {
        const got = await server.app.inject({
          method: 'GET',
          url: `/api/v1/keys/${key.id}/${path}`,
          headers,
        });
        assert.equal(got.statusCode, 200, path);
      }
      const afterGet = await summary(browser, key.id);
      assert.equal(afterGet.backupCount, 1, 'a download alone is not a backup');
      assert.equal(afterGet.hasOfflineBackup, false);
      assert.deepEqual(await backups(browser, key.id), ['account']);
      const actions = await auditActions(browser);
      assert.ok(actions.includes('key_downloaded') && actions.includes('key_printed'));

      const recorded = await browser.request('POST', `/api/v1/keys/${key.id}/backups`, {
        body: { destination: 'print' },
      });
      assert.equal(recorded.status, 201);
      const afterRecord = await summary(browser, key.id);
      assert.equal(afterRecord.hasOfflineBackup, true);
      assert.deepEqual(await backups(browser, key.id), ['print', 'account']);
    });
  });
}
