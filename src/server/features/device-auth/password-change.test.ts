import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail } from '../../../../test/server/key-library.js';

const grantType = 'urn:ietf:params:oauth:grant-type:device_code';
const newPassword = 'a brand new passphrase';

for (const kind of databaseKinds) {
  describe(`a password change on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    /** Connects a command-line client to the browser's account, as `keyhold login` does. */
    async function connectDevice(browser: TestBrowser): Promise<string> {
      const client = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      const codes = await client.request<{ device_code: string; user_code: string }>(
        'POST',
        '/api/v1/device/authorize',
        { body: { client_id: 'keyhold-cli', scope: 'keys', device_name: 'ola-laptop' } },
      );
      const approved = await browser.request('POST', '/api/v1/device/approve', {
        body: { userCode: codes.body.user_code, approve: true },
      });
      assert.equal(approved.status, 200);
      server.clock.advance(5_000);
      const issued = await client.request<{ access_token: string }>(
        'POST',
        '/api/v1/device/token',
        {
          body: {
            grant_type: grantType,
            device_code: codes.body.device_code,
            client_id: 'keyhold-cli',
          },
        },
      );
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      return issued.body.access_token;
    }

    function keysWith(token: string) {
      const client = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      return client.request('GET', '/api/v1/keys', {
        headers: { authorization: `Bearer ${token}` },
      });
    }

    it('disconnects every device of the account, and no other account', async () => {
      const ola = new TestBrowser(server.app);
      await ola.signup(uniqueEmail('ola'), testPassword);
      const laptop = await connectDevice(ola);
      const desktop = await connectDevice(ola);
      const kari = new TestBrowser(server.app);
      await kari.signup(uniqueEmail('kari'), testPassword);
      const karisLaptop = await connectDevice(kari);
      assert.equal((await keysWith(laptop)).status, 200);

      const changed = await ola.request('POST', '/api/v1/auth/password', {
        body: { currentPassword: testPassword, newPassword },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));

      assert.equal((await keysWith(laptop)).status, 401);
      assert.equal((await keysWith(desktop)).status, 401);
      const listed = await ola.request<{ tokens: unknown[] }>('GET', '/api/v1/auth/tokens');
      assert.deepEqual(listed.body.tokens, []);
      assert.equal((await keysWith(karisLaptop)).status, 200);
    });
  });
}
