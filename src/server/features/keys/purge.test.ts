import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  addKey,
  randomKey,
  revealKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeyPageReply,
} from '../../../../test/server/key-library.js';

for (const kind of databaseKinds) {
  describe(`deleting a key permanently from the bin on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedInBrowser(): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('bin'), testPassword);
      return browser;
    }

    const purge = (browser: TestBrowser, id: string, body: object = { confirmPermanent: true }) =>
      browser.request<ErrorReply>('DELETE', `/api/v1/keys/${id}/permanently`, { body });
    const moveToBin = (browser: TestBrowser, id: string) =>
      browser.request('DELETE', `/api/v1/keys/${id}`, { body: { confirmSaved: true } });

    it('takes only keys already in the bin, after confirmation, and records it', async () => {
      const browser = await signedInBrowser();
      const key = await addKey(browser, randomKey());

      const notInBin = await purge(browser, key.id);
      assert.equal(notInBin.status, 409);
      assert.match(notInBin.body.error.message, /Only a key in the bin/);
      assert.equal((await revealKey(browser, key.id)).status, 200);

      await moveToBin(browser, key.id);
      const unconfirmed = await purge(browser, key.id, {});
      assert.equal(unconfirmed.status, 400);
      assert.match(unconfirmed.body.error.message, /confirmPermanent/);

      assert.equal((await purge(browser, key.id)).status, 204);
      const bin = await browser.request<KeyPageReply>('GET', '/api/v1/keys?deleted=true');
      assert.deepEqual(bin.body.items, []);
      assert.equal(
        (await browser.request('POST', `/api/v1/keys/${key.id}/restore`)).status,
        404,
        'a purged key cannot be restored',
      );
      const sealed = await server.ctx.db
        .selectFrom('sealed_secrets')
        .select('id')
        .where('bound_id', '=', key.id)
        .execute();
      assert.deepEqual(sealed, [], 'the sealed recovery password is gone');

      const events = (
        await browser.request<{ events: { action: string; details: Record<string, unknown> }[] }>(
          'GET',
          '/api/v1/audit',
        )
      ).body.events;
      const purged = events.find((event) => event.action === 'key_purged');
      assert.equal(purged?.details.protectorId, key.protectorId);
      assert.equal((await purge(browser, key.id)).status, 404);
    });

    it("answers another account's key as not found and leaves it", async () => {
      const owner = await signedInBrowser();
      const key = await addKey(owner, randomKey());
      await moveToBin(owner, key.id);
      const stranger = await signedInBrowser();
      assert.equal((await purge(stranger, key.id)).status, 404);
      const bin = await owner.request<KeyPageReply>('GET', '/api/v1/keys?deleted=true');
      assert.deepEqual(
        bin.body.items.map((item) => item.id),
        [key.id],
      );
    });

    it('needs the vault open for a key in the vault, and removes a file it alone was in', async () => {
      const browser = await signedInBrowser();
      const file = writeRecoveryKeyFile(randomKey());
      const imported = await browser.request<{ fileId: string }>('POST', '/api/v1/keys/import', {
        body: { filename: file.fileName, contentBase64: file.bytes.toString('base64') },
      });
      const listed = await browser.request<KeyPageReply>('GET', '/api/v1/keys');
      const keyId = listed.body.items[0]?.id ?? '';
      await browser.request('POST', `/api/v1/keys/${keyId}/vault`);
      await browser.request('POST', '/api/v1/vault/unlock', { body: { password: testPassword } });
      await moveToBin(browser, keyId);
      await browser.request('POST', '/api/v1/vault/lock');

      assert.equal((await purge(browser, keyId)).status, 423);
      await browser.request('POST', '/api/v1/vault/unlock', { body: { password: testPassword } });
      assert.equal((await purge(browser, keyId)).status, 204);
      const files = await browser.request<{ items: { id: string }[] }>('GET', '/api/v1/files');
      assert.ok(!files.body.items.some((item) => item.id === imported.body.fileId));
    });
  });
}
