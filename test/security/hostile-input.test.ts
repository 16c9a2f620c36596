import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { OAuthErrorBody } from '../../src/api/device-auth.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeyPageReply,
} from '../server/key-library.js';

/**
 * Names that act on a screen instead of showing themselves: a NUL, a bell, an ANSI sequence that
 * clears the terminal and recolours, a C1 CSI, and the right-to-left override that makes
 * "gpj.exe" read as "exe.jpg".
 */
const hostileNames = {
  nul: 'ADA\u0000LAPTOP',
  bell: 'ADA-LAPTOP\u0007',
  ansi: 'ADA\u001b[2J\u001b[31mLAPTOP',
  c1: 'ADA\u009b31mLAPTOP',
  rightToLeftOverride: 'invoice\u202egpj.exe',
  isolate: 'ADA\u2066LAPTOP\u2069',
  newline: 'ADA\nLAPTOP',
};

for (const kind of databaseKinds) {
  describe(`hostile names are refused on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let browser: TestBrowser;
    before(async () => {
      server = await startTestApp(kind.name);
      browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('ada'), testPassword);
    });
    after(() => server.close());

    function assertRefused(response: { status: number; body: unknown }, what: string): void {
      assert.equal(response.status, 400, `${what}: ${JSON.stringify(response.body)}`);
      const error = (response.body as ErrorReply).error;
      assert.equal(error.code, 'invalid_characters', `${what}: ${JSON.stringify(error)}`);
      assert.match(error.message, /control characters or text-direction overrides/);
    }

    async function storedKeys(): Promise<KeyPageReply['items']> {
      return (await browser.request<KeyPageReply>('GET', '/api/v1/keys')).body.items;
    }

    it('keeps control characters and bidi overrides out of device names and drive labels', async () => {
      for (const [what, name] of Object.entries(hostileNames)) {
        assertRefused(
          await browser.request('POST', '/api/v1/keys', { body: randomKey({ deviceName: name }) }),
          `device name ${what}`,
        );
        assertRefused(
          await browser.request('POST', '/api/v1/keys', {
            body: randomKey({ volume: { label: name, type: 'fixed' } }),
          }),
          `drive label ${what}`,
        );
      }
      assert.deepEqual(await storedKeys(), []);
    });

    it('still takes names in any script, with their punctuation', async () => {
      for (const name of ['Ådne sin PC – kontor', 'محمد-لابتوب', '山田のノートPC', 'Zoë’s 💻']) {
        const added = await browser.request<{ key: { deviceName: string } }>(
          'POST',
          '/api/v1/keys',
          { body: randomKey({ deviceName: name, volume: { label: 'D: Data', type: 'fixed' } }) },
        );
        assert.equal(added.status, 201, JSON.stringify(added.body));
        assert.equal(added.body.key.deviceName, name);
      }
    });

    it('keeps them out of organisation names and display names', async () => {
      for (const [what, name] of Object.entries(hostileNames)) {
        assertRefused(
          await browser.request('POST', '/api/v1/orgs', { body: { name } }),
          `organisation ${what}`,
        );
        assertRefused(
          await browser.request('PATCH', '/api/v1/auth/me', { body: { displayName: name } }),
          `display name ${what}`,
        );
      }
      const organisations = await browser.request<{ organisations: unknown[] }>(
        'GET',
        '/api/v1/orgs',
      );
      assert.deepEqual(organisations.body.organisations, []);
      const stranger = new TestBrowser(server.app);
      assertRefused(
        await stranger.request('POST', '/api/v1/auth/signup', {
          body: {
            email: uniqueEmail('eve'),
            password: testPassword,
            displayName: hostileNames.ansi,
          },
        }),
        'display name at sign-up',
      );
    });

    it('keeps them out of the device name a command-line login asks with', async () => {
      const device = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      for (const [what, name] of Object.entries(hostileNames)) {
        const answer = await device.request<OAuthErrorBody>('POST', '/api/v1/device/authorize', {
          body: { client_id: 'keyhold-cli', scope: 'keys', device_name: name },
        });
        // An OAuth endpoint answers in OAuth's shape (RFC 6749 section 5.2).
        assert.equal(answer.status, 400, `device login ${what}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error, 'invalid_request');
        assert.match(
          answer.body.error_description,
          /device_name holds control characters or text-direction overrides/,
        );
      }
    });

    it('keeps them out of uploads: the file name, the device name and drives the file names', async () => {
      const keysBefore = (await storedKeys()).length;
      const protectorId = randomUUID().toUpperCase();
      const powershell = (mountPoint: string) =>
        Buffer.from(
          JSON.stringify({
            MountPoint: mountPoint,
            KeyProtector: [
              {
                KeyProtectorId: `{${protectorId}}`,
                KeyProtectorType: 3,
                RecoveryPassword: generateRecoveryPassword(),
              },
            ],
          }),
        ).toString('base64');
      const upload = (body: Record<string, unknown>) =>
        browser.request('POST', '/api/v1/keys/import', { body });
      assertRefused(
        await upload({ filename: 'keys.json', contentBase64: powershell(hostileNames.ansi) }),
        'drive named in the file',
      );
      assertRefused(
        await upload({
          filename: hostileNames.rightToLeftOverride,
          contentBase64: powershell('C:'),
        }),
        'file name',
      );
      assertRefused(
        await upload({
          filename: 'keys.json',
          contentBase64: powershell('C:'),
          deviceName: hostileNames.bell,
        }),
        'device name of an upload',
      );
      assert.equal((await storedKeys()).length, keysBefore);
    });

    it('lets free text keep its line breaks but not escape sequences', async () => {
      const key = await browser.request<{ key: { id: string } }>('POST', '/api/v1/keys', {
        body: randomKey(),
      });
      const backups = `/api/v1/keys/${key.body.key.id}/backups`;
      const kept = await browser.request('POST', backups, {
        body: { destination: 'print', note: 'Top drawer,\n\tthe blue folder' },
      });
      assert.equal(kept.status, 201, JSON.stringify(kept.body));
      assertRefused(
        await browser.request('POST', backups, {
          body: { destination: 'print', note: 'drawer \u001b]0;owned\u0007' },
        }),
        'backup note',
      );
      const feedback = { article: 'find-your-recovery-key', helpful: false };
      const comment = await browser.request('POST', '/api/v1/feedback', {
        body: { ...feedback, comment: 'Step 2 was unclear.\nStep 3 too.' },
      });
      assert.equal(comment.status, 201, JSON.stringify(comment.body));
      assertRefused(
        await browser.request('POST', '/api/v1/feedback', {
          body: { ...feedback, comment: 'fine \u202e.tnemmoc' },
        }),
        'feedback comment',
      );
    });
  });
}
