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
} from '../../../../test/server/key-library.js';
import { totpCode } from '../auth/totp.js';
import type { VaultState as VaultReply } from '../../../api/vault.js';

const minute = 60_000;

for (const kind of databaseKinds) {
  describe(`the vault on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name, { flags: { vaultIdleMinutes: 15 } });
    });
    after(() => server.close());

    async function withKeyInVault() {
      const browser = new TestBrowser(server.app);
      const email = uniqueEmail('ada');
      await browser.signup(email, testPassword);
      const key = randomKey({ deviceName: 'ADA-LAPTOP', volume: { label: 'C:', type: 'os' } });
      const added = await addKey(browser, key);
      const moved = await browser.request<{ key: { inVault: boolean; lastBackup: unknown } }>(
        'POST',
        `/api/v1/keys/${added.id}/vault`,
      );
      assert.equal(moved.status, 200);
      assert.equal(moved.body.key.inVault, true);
      return { browser, email, key, added };
    }

    const unlock = (browser: TestBrowser, body: object) =>
      browser.request<VaultReply & ErrorReply>('POST', '/api/v1/vault/unlock', { body });

    it('keeps a vault key locked until the password is entered, then reveals it', async () => {
      const { browser, key, added } = await withKeyInVault();
      const locked = await revealKey(browser, added.id);
      assert.equal(locked.status, 423);
      assert.equal(locked.body.error?.code, 'vault_locked');

      const listing = await browser.request<VaultReply>('GET', '/api/v1/vault');
      assert.equal(listing.body.locked, true);
      assert.deepEqual(listing.body.items, [
        { id: added.id, kind: 'key', name: `ADA-LAPTOP C: · ${added.shortId}` },
      ]);

      const wrong = await unlock(browser, { password: 'not my password' });
      assert.equal(wrong.status, 401);
      assert.equal((await revealKey(browser, added.id)).status, 423);

      const opened = await unlock(browser, { password: testPassword });
      assert.equal(opened.status, 200);
      assert.equal(opened.body.locked, false);
      const revealed = await revealKey(browser, added.id);
      assert.equal(revealed.status, 200);
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
      const open = await browser.request<VaultReply>('GET', '/api/v1/vault');
      assert.ok(open.body.items[0]?.key, 'an open vault shows the details');
    });

    it('locks itself after the configured idle time; vault activity keeps it open', async () => {
      const { browser, added } = await withKeyInVault();
      await unlock(browser, { password: testPassword });
      server.clock.advance(10 * minute);
      assert.equal((await revealKey(browser, added.id)).status, 200);
      server.clock.advance(10 * minute);
      assert.equal(
        (await revealKey(browser, added.id)).status,
        200,
        'activity restarted the clock',
      );
      server.clock.advance(16 * minute);
      assert.equal((await revealKey(browser, added.id)).status, 423);
      const status = await browser.request<VaultReply>('GET', '/api/v1/vault');
      assert.equal(status.body.locked, true);
    });

    it('locks on request and when the account signs out', async () => {
      const { browser, email, added } = await withKeyInVault();
      await unlock(browser, { password: testPassword });
      const locked = await browser.request<VaultReply>('POST', '/api/v1/vault/lock');
      assert.equal(locked.body.locked, true);
      assert.equal((await revealKey(browser, added.id)).status, 423);

      await unlock(browser, { password: testPassword });
      await browser.request('POST', '/api/v1/auth/signout', { body: {} });
      assert.equal((await browser.signin(email, testPassword)).status, 200);
      assert.equal((await revealKey(browser, added.id)).status, 423);
    });

    it('asks for the authenticator code, not the password, once TOTP is on', async () => {
      const { browser, added } = await withKeyInVault();
      const enrol = await browser.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password: testPassword },
      });
      const secret = enrol.body.secret;
      await browser.request('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(secret, server.clock.now()) },
      });
      server.clock.advance(31_000);

      const withPassword = await unlock(browser, { password: testPassword });
      assert.equal(withPassword.status, 400);
      assert.match(withPassword.body.error.message, /authenticator app/);
      const code = totpCode(secret, server.clock.now());
      assert.equal((await unlock(browser, { totpCode: code })).status, 200);
      assert.equal((await revealKey(browser, added.id)).status, 200);
      await browser.request('POST', '/api/v1/vault/lock');
      const replayed = await unlock(browser, { totpCode: code });
      assert.equal(replayed.status, 401, 'a code works once');
    });

    it('moves keys out only while open, and guards uploaded files the same way', async () => {
      const { browser, added } = await withKeyInVault();
      const refused = await browser.request<ErrorReply>('DELETE', `/api/v1/keys/${added.id}/vault`);
      assert.equal(refused.status, 423);

      const file = writeRecoveryKeyFile(randomKey());
      const imported = await browser.request<{ fileId: string }>('POST', '/api/v1/keys/import', {
        body: { filename: file.fileName, contentBase64: file.bytes.toString('base64') },
      });
      const fileId = imported.body.fileId;
      assert.equal((await browser.request('POST', `/api/v1/files/${fileId}/vault`)).status, 204);
      const download = async () =>
        (
          await server.app.inject({
            method: 'GET',
            url: `/api/v1/files/${fileId}/download`,
            headers: {
              cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
            },
          })
        ).statusCode;
      assert.equal(await download(), 423);
      const listing = await browser.request<VaultReply>('GET', '/api/v1/vault');
      assert.deepEqual(
        listing.body.items.map((item) => [item.kind, item.name]),
        [
          ['key', `ADA-LAPTOP C: · ${added.shortId}`],
          ['file', file.fileName],
        ],
      );

      await unlock(browser, { password: testPassword });
      assert.equal(await download(), 200);
      const out = await browser.request<{ key: { inVault: boolean } }>(
        'DELETE',
        `/api/v1/keys/${added.id}/vault`,
      );
      assert.equal(out.body.key.inVault, false);
      await browser.request('POST', '/api/v1/vault/lock');
      assert.equal((await revealKey(browser, added.id)).status, 200, 'no longer in the vault');
    });
  });
}
