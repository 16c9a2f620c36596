import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import type { AuditPage as AuditReply } from '../../../api/audit.js';
import type { AddedKey as SaveReply, ImportResult as ImportReply } from '../../../api/keys.js';

for (const kind of databaseKinds) {
  describe(`saving a key already in the library on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedIn(): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('ada'), testPassword);
      return browser;
    }

    const save = (browser: TestBrowser, body: Record<string, unknown>) =>
      browser.request<SaveReply & Partial<ErrorReply>>('POST', '/api/v1/keys', { body });

    const events = async (browser: TestBrowser) =>
      (await browser.request<AuditReply>('GET', '/api/v1/audit')).body.events;

    it('keeps the stored device, drive and type when the CLI saves it again with only guesses', async () => {
      const browser = await signedIn();
      const key = randomKey({
        deviceName: 'Ada laptop',
        volume: { label: 'D:', type: 'removable' },
      });
      await addKey(browser, key);
      // What `keyhold backup --to account` sends from another computer: the key and its guesses.
      const again = await save(browser, {
        protectorId: key.protectorId,
        recoveryPassword: key.recoveryPassword,
        defaults: { deviceName: 'build-server-7', volumeType: 'fixed' },
        source: 'cli',
      });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.created, false);
      assert.deepEqual(again.body.updated, []);
      assert.equal(again.body.key.deviceName, 'Ada laptop');
      assert.deepEqual(again.body.key.volume, { label: 'D:', type: 'removable', volumeGuid: null });
    });

    it('uses the guesses for a new key, and refuses a new key with no device name at all', async () => {
      const browser = await signedIn();
      const key = randomKey();
      const created = await save(browser, {
        protectorId: key.protectorId,
        recoveryPassword: key.recoveryPassword,
        defaults: { deviceName: 'build-server-7', volumeType: 'fixed' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.key.deviceName, 'build-server-7');
      assert.equal(created.body.key.volume.type, 'fixed');

      const nameless = randomKey();
      const refused = await save(browser, {
        protectorId: nameless.protectorId,
        recoveryPassword: nameless.recoveryPassword,
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error?.message ?? '', /device's name/);
      const listed = await browser.request<{ items: unknown[] }>('GET', '/api/v1/keys');
      assert.equal(listed.body.items.length, 1, 'nothing half-saved');
    });

    it('updates only the details given, and says which', async () => {
      const browser = await signedIn();
      const key = randomKey({ deviceName: 'Ada laptop', volume: { label: 'C:', type: 'os' } });
      await addKey(browser, key);
      const renamed = await save(browser, {
        protectorId: key.protectorId,
        recoveryPassword: key.recoveryPassword,
        deviceName: 'Ada work laptop',
        volume: { label: 'C:' },
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.deepEqual(renamed.body.updated, ['deviceName']);
      assert.equal(renamed.body.key.deviceName, 'Ada work laptop');
      assert.deepEqual(renamed.body.key.volume, { label: 'C:', type: 'os', volumeGuid: null });

      const retyped = await save(browser, {
        protectorId: key.protectorId,
        recoveryPassword: key.recoveryPassword,
        volume: { type: 'fixed' },
      });
      assert.deepEqual(retyped.body.updated, ['volume.type']);
      assert.equal(retyped.body.key.deviceName, 'Ada work laptop');

      const updatedEvent = (await events(browser)).find((event) => event.action === 'key_updated');
      assert.deepEqual(updatedEvent?.details.updated, ['volume.type']);
    });

    it('an import of a stored key without a device name changes nothing, and says so', async () => {
      const browser = await signedIn();
      const key = randomKey({ deviceName: 'Ada laptop', volume: { label: 'E:', type: 'fixed' } });
      const added = await addKey(browser, key);
      const file = writeRecoveryKeyFile({ ...key, language: 'en' });
      const body = { filename: file.fileName, contentBase64: file.bytes.toString('base64') };
      const imported = await browser.request<ImportReply>('POST', '/api/v1/keys/import', { body });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      assert.deepEqual(
        imported.body.found.map((found) => [found.action, found.updated]),
        [['update', []]],
      );
      const stored = (
        await browser.request<{ key: KeySummaryReply }>('GET', `/api/v1/keys/${added.id}`)
      ).body.key;
      assert.equal(stored.deviceName, 'Ada laptop');
      assert.deepEqual(stored.volume, { label: 'E:', type: 'fixed', volumeGuid: null });

      const named = await browser.request<ImportReply>('POST', '/api/v1/keys/import?dryRun=true', {
        body: { ...body, deviceName: 'Ada desktop' },
      });
      assert.deepEqual(named.body.found[0]?.updated, ['deviceName']);
    });
  });

  describe(`backups and activity on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedIn(): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('ada'), testPassword);
      return browser;
    }

    it('moving a key into the vault is not a backup, and the offline flag stays', async () => {
      const browser = await signedIn();
      const key = await addKey(browser, randomKey());
      const moved = await browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/keys/${key.id}/vault`,
      );
      assert.equal(moved.status, 200);
      assert.equal(moved.body.key.inVault, true);
      assert.equal(moved.body.key.backupCount, 1);
      assert.equal(moved.body.key.lastBackup?.destination, 'account');
      assert.equal(moved.body.key.hasOfflineBackup, false);
      const history = await browser.request<{ items: { destination: string }[] }>(
        'GET',
        `/api/v1/keys/${key.id}/backups`,
      );
      assert.deepEqual(
        history.body.items.map((backup) => backup.destination),
        ['account'],
      );
    });

    it('names the key (short ID and device) in its activity, and lists recorded backups', async () => {
      const browser = await signedIn();
      const key = await addKey(browser, randomKey({ deviceName: 'Ada laptop' }));
      const recorded = await browser.request('POST', `/api/v1/keys/${key.id}/backups`, {
        body: { destination: 'usb', note: 'blue stick' },
      });
      assert.equal(recorded.status, 201);
      assert.equal((await browser.request('POST', `/api/v1/keys/${key.id}/reveal`)).status, 200);
      const listed = (await browser.request<AuditReply>('GET', '/api/v1/audit')).body.events;
      const about = (action: string) => listed.find((event) => event.action === action)?.details;
      for (const action of ['key_added', 'key_backup_recorded', 'key_revealed']) {
        assert.equal(about(action)?.shortId, key.shortId, action);
        assert.equal(about(action)?.deviceName, 'Ada laptop', action);
      }
      assert.equal(about('key_backup_recorded')?.destination, 'usb');
      assert.ok(
        !JSON.stringify(about('key_backup_recorded')).includes('blue stick'),
        'the note stays with the backup',
      );
    });
  });
}
