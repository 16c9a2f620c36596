import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readKeySource, bufferSource } from '../../../bitlocker/key-sources.js';
import { readRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
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
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import { repoRoot } from '../../../../test/support/cli.js';
import { pdftotextSkip } from '../../../../test/support/requirements.js';
import type { ImportResult as ImportReply } from '../../../api/keys.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'windows-output');
const sheetTextSkip = pdftotextSkip();

for (const kind of databaseKinds) {
  describe(`the key library on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedInBrowser(): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('ada'), testPassword);
      return browser;
    }

    async function list(browser: TestBrowser, query = ''): Promise<KeyPageReply> {
      const response = await browser.request<KeyPageReply>('GET', `/api/v1/keys${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body;
    }

    it('adds a key, never lists its password, and reveals it on request', async () => {
      const browser = await signedInBrowser();
      const key = randomKey({ protectorId: `{${randomKey().protectorId.toLowerCase()}}` });
      const response = await browser.request<{ key: KeySummaryReply; created: boolean }>(
        'POST',
        '/api/v1/keys',
        { body: { ...key, recoveryPassword: key.recoveryPassword.replaceAll('-', ' ') } },
      );
      assert.equal(response.status, 201);
      assert.equal(response.body.created, true);
      const summary = response.body.key;
      const canonicalId = key.protectorId.slice(1, -1).toUpperCase();
      assert.equal(summary.protectorId, canonicalId);
      assert.equal(summary.shortId, canonicalId.slice(0, 8));
      assert.equal(summary.deviceName, 'ADA-LAPTOP');
      assert.deepEqual(summary.volume, { label: 'C:', type: 'os', volumeGuid: null });
      assert.equal(summary.source, 'manual');
      assert.equal(summary.backupCount, 1);
      assert.equal(summary.lastBackup?.destination, 'account');
      assert.equal(summary.hasOfflineBackup, false);

      const digits = key.recoveryPassword.replaceAll('-', '');
      const listed = await browser.request('GET', '/api/v1/keys');
      assert.ok(!JSON.stringify(listed.body).replaceAll(/\D/g, '').includes(digits));
      assert.ok(!JSON.stringify(response.body).replaceAll(/\D/g, '').includes(digits));

      const revealed = await revealKey(browser, summary.id);
      assert.equal(revealed.status, 200);
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
      assert.equal(revealed.headers['cache-control'], 'no-store');
      const audit = await browser.request<{ events: { action: string; details: unknown }[] }>(
        'GET',
        '/api/v1/audit',
      );
      const reveal = audit.body.events.find((event) => event.action === 'key_revealed');
      assert.deepEqual(reveal?.details, {
        keyId: summary.id,
        protectorId: canonicalId,
        shortId: canonicalId.slice(0, 8),
        deviceName: 'ADA-LAPTOP',
        inVault: false,
      });
    });

    it('keeps one copy per Key ID: the same key again updates its details', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      const first = await addKey(browser, key);
      const again = await browser.request<{ key: KeySummaryReply; created: boolean }>(
        'POST',
        '/api/v1/keys',
        { body: { ...key, deviceName: 'Ada Workstation', volume: { label: 'D:', type: 'fixed' } } },
      );
      assert.equal(again.status, 200);
      assert.equal(again.body.created, false);
      assert.equal(again.body.key.id, first.id);
      assert.equal(again.body.key.deviceName, 'Ada Workstation');
      assert.deepEqual(again.body.key.volume, { label: 'D:', type: 'fixed', volumeGuid: null });
      assert.equal((await list(browser)).items.length, 1);
    });

    it('refuses a different password under a stored Key ID and keeps the stored one', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      const stored = await addKey(browser, key);
      const other = randomKey({ protectorId: key.protectorId });
      const response = await browser.request<ErrorReply>('POST', '/api/v1/keys', { body: other });
      assert.equal(response.status, 409);
      assert.equal(response.body.error.code, 'conflict');
      assert.match(response.body.error.message, /different recovery password/);
      assert.ok(!response.body.error.message.includes(other.recoveryPassword));
      assert.equal(
        (await revealKey(browser, stored.id)).body.recoveryPassword,
        key.recoveryPassword,
      );
    });

    it('names every bad block and field of a refused key', async () => {
      const browser = await signedInBrowser();
      const response = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: {
          protectorId: '64311DEA',
          recoveryPassword: '235818-357951-253997-013365-241120-245575-342914-591911',
          deviceName: '  ',
          volume: { label: 'C:', type: 'os' },
        },
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'invalid_request');
      const details = response.body.error.details as { field: string; block?: number }[];
      assert.deepEqual(
        details.map((detail) => [detail.field, detail.block]),
        [
          ['protectorId', undefined],
          ['recoveryPassword', 3],
          ['recoveryPassword', 8],
          ['deviceName', undefined],
        ],
      );
      assert.match(response.body.error.message, /protectorId, recoveryPassword, deviceName/);
      assert.equal((await list(browser)).items.length, 0);
    });

    it('searches by Key ID prefix however it is typed, and by device name', async () => {
      const browser = await signedInBrowser();
      const target = await addKey(
        browser,
        randomKey({ protectorId: '5D0A1B2C-0000-4000-8000-00000000AAAA', deviceName: 'Kåre PC' }),
      );
      const neighbour = await addKey(
        browser,
        randomKey({
          protectorId: '5D0A1B2D-0000-4000-8000-00000000BBBB',
          deviceName: 'Office-Desktop',
        }),
      );
      await addKey(browser, randomKey({ protectorId: '5D0B0000-0000-4000-8000-00000000CCCC' }));
      // Text that is both a Key ID prefix and a word of a device name finds by each.
      const byKeyId = await addKey(
        browser,
        randomKey({ protectorId: 'CAFE0001-0000-4000-8000-00000000DDDD', deviceName: 'Laptop' }),
      );
      const byName = await addKey(
        browser,
        randomKey({
          protectorId: '11110001-0000-4000-8000-00000000EEEE',
          deviceName: 'Cafe Terminal',
        }),
      );
      const ids = async (q: string) =>
        (await list(browser, `?q=${encodeURIComponent(q)}`)).items.map((item) => item.id).sort();

      assert.deepEqual(await ids('5d0a1b2c'), [target.id]);
      assert.deepEqual(await ids('{5D0A-1B2C'), [target.id]);
      assert.deepEqual(await ids('5D0A'), [target.id, neighbour.id].sort());
      assert.deepEqual(await ids('5D0A1B2C-0000-4000-8000-00000000AAAA'), [target.id]);
      assert.deepEqual(await ids('kåre'), [target.id]);
      assert.deepEqual(await ids('desk'), [neighbour.id]);
      assert.deepEqual(await ids('office-desk'), [neighbour.id]);
      assert.deepEqual(await ids('5D0C'), []);
      assert.deepEqual(await ids('cafe'), [byKeyId.id, byName.id].sort());
      assert.deepEqual(await ids('CAFE0001'), [byKeyId.id]);
      assert.deepEqual(await ids('terminal'), [byName.id]);
      // Fewer than 4 hex digits is not a Key ID search (nor a device name here).
      assert.deepEqual(await ids('5D0'), []);
    });

    it('pages through every key exactly once, newest first, with the cursor', async () => {
      const browser = await signedInBrowser();
      const added: string[] = [];
      for (let i = 0; i < 7; i++) added.push((await addKey(browser, randomKey())).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: KeyPageReply = await list(
          browser,
          `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...added].reverse());

      const bad = await browser.request<ErrorReply>('GET', '/api/v1/keys?cursor=not-a-cursor');
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /cursor/);
    });

    it('soft-deletes only with confirmSaved, lists the bin, and restores', async () => {
      const browser = await signedInBrowser();
      const key = await addKey(browser, randomKey());
      const refused = await browser.request<ErrorReply>('DELETE', `/api/v1/keys/${key.id}`, {
        body: {},
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.message, /confirmSaved/);

      const deleted = await browser.request<{ key: KeySummaryReply }>(
        'DELETE',
        `/api/v1/keys/${key.id}`,
        { body: { confirmSaved: true } },
      );
      assert.equal(deleted.status, 200);
      assert.notEqual(deleted.body.key.deletedAt, null);
      assert.deepEqual((await list(browser)).items, []);
      assert.deepEqual(
        (await list(browser, '?deleted=true')).items.map((item) => item.id),
        [key.id],
      );

      const restored = await browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/keys/${key.id}/restore`,
      );
      assert.equal(restored.status, 200);
      assert.equal(restored.body.key.deletedAt, null);
      assert.deepEqual(
        (await list(browser)).items.map((item) => item.id),
        [key.id],
      );
      const actions = (
        await browser.request<{ events: { action: string }[] }>('GET', '/api/v1/audit')
      ).body.events.map((event) => event.action);
      assert.ok(actions.includes('key_deleted') && actions.includes('key_restored'));
    });

    it('downloads the Windows recovery file, which counts as a backup once recorded', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      const added = await addKey(browser, key);
      const response = await server.app.inject({
        method: 'GET',
        url: `/api/v1/keys/${added.id}/recovery-file?lang=nb`,
        headers: { cookie: cookieHeader(browser) },
      });
      assert.equal(response.statusCode, 200);
      assert.match(
        String(response.headers['content-disposition']),
        new RegExp(
          `filename\\*=UTF-8''${encodeURIComponent(`BitLocker-gjenopprettingsnøkkel ${added.protectorId}.TXT`)}`,
        ),
      );
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(readRecoveryKeyFile(response.rawPayload), [
        { protectorId: added.protectorId, recoveryPassword: key.recoveryPassword },
      ]);
      assert.match(response.rawPayload.subarray(2).toString('utf16le'), /Gjenopprettingsnøkkel/);

      const recorded = await browser.request('POST', `/api/v1/keys/${added.id}/backups`, {
        body: { destination: 'file' },
      });
      assert.equal(recorded.status, 201);
      const after = (
        await browser.request<{ key: KeySummaryReply }>('GET', `/api/v1/keys/${added.id}`)
      ).body.key;
      assert.equal(after.hasOfflineBackup, true);
      assert.equal(after.lastBackup?.destination, 'file');
      assert.equal(after.backupCount, 2);
    });

    it(
      'prints a sheet holding the key and its ID, not a backup until recorded',
      { skip: sheetTextSkip },
      async () => {
        const browser = await signedInBrowser();
        const key = randomKey();
        const added = await addKey(browser, key);
        const response = await server.app.inject({
          method: 'GET',
          url: `/api/v1/keys/${added.id}/sheet.pdf?paper=letter`,
          headers: { cookie: cookieHeader(browser) },
        });
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers['content-type'], 'application/pdf');
        const text = spawnSync('pdftotext', ['-', '-'], {
          input: response.rawPayload,
          encoding: 'utf8',
        }).stdout;
        for (const block of key.recoveryPassword.split('-')) assert.ok(text.includes(block), block);
        assert.ok(text.includes(added.protectorId));
        const backups = await browser.request<{ items: { destination: string }[] }>(
          'GET',
          `/api/v1/keys/${added.id}/backups`,
        );
        assert.deepEqual(
          backups.body.items.map((backup) => backup.destination),
          ['account'],
        );
      },
    );

    it('records backups made elsewhere and flags keys that have none offline', async () => {
      const browser = await signedInBrowser();
      const backedUp = await addKey(browser, randomKey());
      const onlyOnline = await addKey(browser, randomKey());
      const response = await browser.request<{ backup: { destination: string; note: string } }>(
        'POST',
        `/api/v1/keys/${backedUp.id}/backups`,
        { body: { destination: 'usb', note: 'blue stick in the safe' } },
      );
      assert.equal(response.status, 201);
      assert.equal(response.body.backup.note, 'blue stick in the safe');
      const flags = new Map(
        (await list(browser)).items.map((item) => [item.id, item.hasOfflineBackup]),
      );
      assert.equal(flags.get(backedUp.id), true);
      assert.equal(flags.get(onlyOnline.id), false);
    });

    it('imports a Windows recovery key file, with a dry run first, and keeps the original', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      const file = writeRecoveryKeyFile({ ...key, language: 'en' });
      const body = { filename: file.fileName, contentBase64: file.bytes.toString('base64') };

      const dry = await browser.request<ImportReply>('POST', '/api/v1/keys/import?dryRun=true', {
        body,
      });
      assert.equal(dry.status, 200);
      assert.deepEqual(
        dry.body.found.map((f) => [f.protectorId, f.action]),
        [[key.protectorId, 'add']],
      );
      assert.equal(dry.body.fileId, null);
      assert.deepEqual((await list(browser)).items, []);

      const done = await browser.request<ImportReply>('POST', '/api/v1/keys/import', { body });
      assert.equal(done.body.added, 1);
      assert.ok(done.body.fileId);
      const imported = (await list(browser)).items[0]!;
      assert.equal(imported.source, 'import');
      assert.equal(
        (await revealKey(browser, imported.id)).body.recoveryPassword,
        key.recoveryPassword,
      );
      const original = await server.app.inject({
        method: 'GET',
        url: `/api/v1/files/${done.body.fileId}/download`,
        headers: { cookie: cookieHeader(browser) },
      });
      assert.equal(original.statusCode, 200);
      assert.deepEqual(original.rawPayload, file.bytes);

      const again = await browser.request<ImportReply>('POST', '/api/v1/keys/import', { body });
      assert.equal(again.body.updated, 1);
      assert.equal((await list(browser)).items.length, 1);
    });

    it('imports manage-bde output as a multipart upload, skipping what is not a recovery key', async () => {
      const browser = await signedInBrowser();
      const text = await readFile(join(fixtures, 'manage-bde-protectors-get-en.txt'));
      const expected = (await readKeySource(bufferSource('x', text))).filter(
        (found) => found.recoveryPassword,
      );
      const boundary = '----keyhold-test-boundary';
      const payload = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="deviceName"\r\n\r\nADA-PC\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="protectors.txt"\r\n` +
            'Content-Type: text/plain\r\n\r\n',
        ),
        text,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/v1/keys/import',
        headers: {
          cookie: cookieHeader(browser),
          'x-keyhold-csrf': browser.csrfToken ?? '',
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload,
      });
      assert.equal(response.statusCode, 200, response.body);
      const result = response.json<ImportReply>();
      assert.equal(result.added, expected.length);
      assert.ok(result.found.some((f) => f.type === 'external-key' && f.action === 'skip'));
      assert.ok(result.found.some((f) => f.type === 'tpm' && f.action === 'skip'));
      const items = (await list(browser)).items;
      assert.deepEqual(
        items.map((item) => item.protectorId).sort(),
        expected.map((found) => found.protectorId).sort(),
      );
      assert.ok(items.every((item) => item.deviceName === 'ADA-PC'));
      assert.ok(items.some((item) => item.volume.label === 'C:' && item.volume.type === 'os'));
    });

    it('reports a conflicting import and refuses files that hold no keys', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      await addKey(browser, key);
      const other = writeRecoveryKeyFile({
        protectorId: key.protectorId,
        recoveryPassword: randomKey().recoveryPassword,
      });
      const conflict = await browser.request<ImportReply>('POST', '/api/v1/keys/import', {
        body: { filename: other.fileName, contentBase64: other.bytes.toString('base64') },
      });
      assert.equal(conflict.status, 200);
      assert.deepEqual(
        conflict.body.found.map((f) => f.action),
        ['conflict'],
      );
      assert.equal(conflict.body.fileId, null);

      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const refused = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
        body: { filename: 'photo.png', contentBase64: png.toString('base64') },
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.message, /photo\.png looks like a PNG image/);

      // In Bokmål, the reader's own wording, also from a large file read on a worker thread.
      const norsk = { 'accept-language': 'nb-NO,nb;q=0.9' };
      const refusedNb = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
        body: { filename: 'photo.png', contentBase64: png.toString('base64') },
        headers: norsk,
      });
      assert.equal(refusedNb.status, 400);
      assert.equal(
        refusedNb.body.error.message,
        'photo.png ser ut som et PNG-bilde, ikke en BitLocker-nøkkelfil eller utdata fra et verktøy.',
      );
      const status = await readFile(
        join(repoRoot, 'test/fixtures/windows-output/manage-bde-status-en.txt'),
        'utf8',
      );
      const large = Buffer.from(`${status}${'\r\n'.repeat(40 * 1024)}`);
      assert.ok(large.length > 64 * 1024);
      const statusNb = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
        body: { filename: 'status.txt', contentBase64: large.toString('base64') },
        headers: norsk,
      });
      assert.equal(statusNb.status, 400);
      assert.match(
        statusNb.body.error.message,
        /^status\.txt ser ut som utdata fra manage-bde: Dette er utdata fra manage-bde -status \(C:, D:, E:\): .* Lagre utdata fra «manage-bde -protectors -get C:» i stedet\.$/,
      );
    });

    it('exports every key after the password is entered again, and audits it', async () => {
      const browser = await signedInBrowser();
      const keys = [randomKey({ deviceName: '=HYPERLINK("x")' }), randomKey()];
      for (const key of keys) await addKey(browser, key);

      const wrong = await browser.request<ErrorReply>('POST', '/api/v1/keys/export', {
        body: { format: 'json', password: 'not the password' },
      });
      assert.equal(wrong.status, 401);

      const json = await server.app.inject({
        method: 'POST',
        url: '/api/v1/keys/export',
        headers: { cookie: cookieHeader(browser), 'x-keyhold-csrf': browser.csrfToken ?? '' },
        payload: { format: 'json', password: testPassword },
      });
      assert.equal(json.statusCode, 200);
      assert.match(String(json.headers['content-disposition']), /keyhold-keys-.*\.json/);
      const exported = json.json<{ keys: { protectorId: string; recoveryPassword: string }[] }>();
      assert.deepEqual(
        exported.keys.map((k) => [k.protectorId, k.recoveryPassword]).sort(),
        keys.map((k) => [k.protectorId, k.recoveryPassword]).sort(),
      );

      const csv = await server.app.inject({
        method: 'POST',
        url: '/api/v1/keys/export',
        headers: { cookie: cookieHeader(browser), 'x-keyhold-csrf': browser.csrfToken ?? '' },
        payload: { format: 'csv', password: testPassword },
      });
      const lines = csv.body.trimEnd().split('\r\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0] ?? '', /^protectorId,recoveryPassword,deviceName,/);
      // A device name a spreadsheet would run as a formula is neutralised.
      assert.ok(lines.some((line) => line.includes(`"'=HYPERLINK(""x"")"`)));

      const actions = (
        await browser.request<{ events: { action: string }[] }>('GET', '/api/v1/audit')
      ).body.events.map((event) => event.action);
      assert.equal(actions.filter((action) => action === 'keys_exported').length, 2);
      assert.ok(actions.includes('keys_export_failed'));
    });
  });
}

function cookieHeader(browser: TestBrowser): string {
  return [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}
