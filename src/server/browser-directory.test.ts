import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signedInStateTables } from '../db/signed-in-state.js';
import { databaseKinds } from '../../test/server/databases.js';
import { startTestApp, TestBrowser } from '../../test/server/harness.js';
import { waitUntil } from '../../test/support/wait.js';

for (const kind of databaseKinds) {
  describe(`signed-in browsers on ${kind.name}`, { skip: kind.skip }, () => {
    it('ends a session on the next request when another process revokes it', async () => {
      const server = await startTestApp(kind.name);
      const elsewhere = server.testDb.open();
      try {
        const browser = new TestBrowser(server.app);
        await browser.signup('kept@example.org', 'violet tractor umbrella');
        // Until it hears changes made elsewhere, the server reads every request: nothing to test.
        const heard = () => server.ctx.database.changeStamp(signedInStateTables);
        await waitUntil(() => heard() !== undefined, 'the server listening for changes');
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
        assert.equal((await browser.request('GET', '/api/v1/auth/me')).status, 200);
        const before = heard();

        // An admin command or a second server process, with its own connection.
        await elsewhere.db
          .updateTable('sessions')
          .set({ revoked_at: new Date().toISOString(), revoke_reason: 'signed_out' })
          .execute();
        // PostgreSQL's announcement reaches this process over a connection of its own, shortly
        // after the write returns; from the moment it is heard, the session is over.
        await waitUntil(() => heard() !== before, 'the server hearing the revocation');
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
