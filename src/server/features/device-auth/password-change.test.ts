import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import {
  connectDevice,
  startTestApp,
  TestBrowser,
  type TestApp,
} from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail } from '../../../../test/server/key-library.js';

const newPassword = 'a brand new passphrase';

for (const kind of databaseKinds) {
  describe(`a password change on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    function keysWith(token: string) {
      const client = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      return client.request('GET', '/api/v1/keys', {
        headers: { authorization: `Bearer ${token}` },
      });
    }

    it('disconnects every device of the account, and no other account', async () => {
      const ola = new TestBrowser(server.app);
      await ola.signup(uniqueEmail('ola'), testPassword);
      const laptop = await connectDevice(server, ola);
      const desktop = await connectDevice(server, ola);
      const kari = new TestBrowser(server.app);
      await kari.signup(uniqueEmail('kari'), testPassword);
      const karisLaptop = await connectDevice(server, kari);
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
