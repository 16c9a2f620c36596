import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseKinds } from '../../test/server/databases.js';
import { startTestApp, TestBrowser } from '../../test/server/harness.js';

for (const kind of databaseKinds) {
  describe(`signed-in browsers on ${kind.name}`, { skip: kind.skip }, () => {
    it('ends a session on the next request when another process revokes it', async () => {
      const server = await startTestApp(kind.name);
      const elsewhere = server.testDb.open();
      try {
        const browser = new TestBrowser(server.app);
        await browser.signup('kept@example.org', 'violet tractor umbrella');
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);

        // An admin command or a second server process, with its own connection.
        await elsewhere.db
          .updateTable('sessions')
          .set({ revoked_at: new Date().toISOString(), revoke_reason: 'signed_out' })
          .execute();
        // The next request comes in on a later turn of the event loop, as over the network.
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 401);
      } finally {
        await elsewhere.close();
        await server.close();
      }
    });

    it('lets a session lapse when it expires, without any write', async () => {
      const server = await startTestApp(kind.name);
      try {
        const browser = new TestBrowser(server.app);
        await browser.signup('lapsing@example.org', 'violet tractor umbrella');
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
        server.clock.advance(31 * 86_400_000);
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 401);
      } finally {
        await server.close();
      }
    });
  });
}
