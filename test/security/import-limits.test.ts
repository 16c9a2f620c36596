import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { importPolicy } from '../../src/server/features/keys/import.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { randomKey, testPassword, uniqueEmail, type ErrorReply } from '../server/key-library.js';
import type { ImportResult as ImportReply } from '../../src/api/keys.js';

/** `manage-bde -protectors -get` output listing `count` recovery keys: about 154 bytes each. */
function manageBdeOutput(count: number): string {
  const lines = [
    'BitLocker Drive Encryption: Configuration Tool version 10.0.19045',
    'Copyright (C) 2013 Microsoft Corporation. All rights reserved.',
    '',
    'Volume C: [Windows]',
    'All Key Protectors',
    '',
  ];
  for (let index = 0; index < count; index++) {
    lines.push(
      '    Numerical Password:',
      `      ID: {${randomUUID().toUpperCase()}}`,
      '      Password:',
      `        ${generateRecoveryPassword()}`,
      '',
    );
  }
  return lines.join('\n');
}

const second = 1e9;

for (const kind of databaseKinds) {
  describe(`imports stay within bounds on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedIn() {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('importer'), testPassword);
      return browser;
    }

    const upload = (browser: TestBrowser, body: object, query = '') =>
      browser.request<ImportReply & Partial<ErrorReply>>('POST', `/api/v1/keys/import${query}`, {
        body,
      });

    it('keeps only the base name of a JSON filename', async () => {
      const browser = await signedIn();
      const file = writeRecoveryKeyFile({ ...randomKey(), language: 'en' });
      const content = file.bytes.toString('base64');
      for (const sent of [
        '../../../etc/cron.d/evil.TXT',
        'C:\\Users\\ola\\Desktop\\key.TXT',
        '/',
      ]) {
        const imported = await upload(browser, { filename: sent, contentBase64: content });
        assert.equal(imported.status, 200, JSON.stringify(imported.body));
      }
      const names = (
        await browser.request<{ items: { fileName: string }[] }>('GET', '/api/v1/files')
      ).body.items.map((item) => item.fileName);
      assert.deepEqual(names.sort(), ['evil.TXT', 'key.TXT', 'upload']);
    });

    it('limits how many files one account imports, with a message saying when to try again', async () => {
      const browser = await signedIn();
      const other = await signedIn();
      const file = writeRecoveryKeyFile({ ...randomKey(), language: 'en' });
      const body = { filename: file.fileName, contentBase64: file.bytes.toString('base64') };
      // Sent all at once: the allowance holds under concurrency too.
      const replies = await Promise.all(
        Array.from({ length: importPolicy.free + 10 }, () => upload(browser, body, '?dryRun=true')),
      );
      const accepted = replies.filter((reply) => reply.status === 200).length;
      const refused = replies.filter((reply) => reply.status === 429);
      assert.equal(accepted, importPolicy.free);
      assert.equal(refused.length, 10);
      for (const { body: refusal } of refused as { body: ErrorReply }[]) {
        assert.equal(refusal.error.code, 'import_limited');
        assert.match(refusal.error.message, /imports?.*Try again in \d+ minutes?/);
      }

      assert.equal((await upload(other, body, '?dryRun=true')).status, 200, 'per account');
      server.clock.advance(2 * 60 * 60_000);
      assert.equal((await upload(browser, body, '?dryRun=true')).status, 200, 'and it passes');
    });
  });
}

// Only SQLite's driver is synchronous: there a long import held the loop from its first query to
// its commit. On PostgreSQL every query already waits on the network, which frees the loop.
describe('a large import on sqlite', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp('sqlite');
  });
  after(() => server.close());

  it('imports a 1 MiB file of about 6,800 keys without holding the event loop for a second', async () => {
    const browser = new TestBrowser(server.app);
    await browser.signup(uniqueEmail('importer'), testPassword);
    const text = manageBdeOutput(6_807);
    const bytes = Buffer.from(text, 'utf8');
    assert.ok(bytes.length > 1000 * 1024 && bytes.length <= 1024 * 1024, `${bytes.length}`);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const imported = await browser.request<ImportReply>('POST', '/api/v1/keys/import', {
      body: {
        filename: 'protectors.txt',
        contentBase64: bytes.toString('base64'),
      },
    });
    delay.disable();
    assert.equal(imported.status, 200, JSON.stringify(imported.body).slice(0, 500));
    assert.equal(imported.body.added, 6_807);
    assert.ok(
      delay.max < second,
      `the event loop was held for ${(delay.max / 1e6).toFixed(0)} ms at a stretch`,
    );
    const listed = await browser.request<{ items: unknown[] }>('GET', '/api/v1/keys?limit=200');
    assert.equal(listed.body.items.length, 200);
  });

  it('refuses a large file that holds no keys with the same plain message as a small one', async () => {
    const browser = new TestBrowser(server.app);
    await browser.signup(uniqueEmail('importer'), testPassword);
    const text = 'Minutes of the meeting. Nothing about keys here.\n'.repeat(4000);
    const refused = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
      body: { filename: 'notes.txt', contentBase64: Buffer.from(text).toString('base64') },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /^notes\.txt looks like /);
  });
});
