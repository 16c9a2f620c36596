import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
} from '../../../../test/server/key-library.js';
import { purgeExpiredKeys } from './retention.js';

const day = 86_400_000;

describe('deleted keys', () => {
  let server: TestApp | undefined;
  afterEach(async () => {
    await server?.close();
  });

  /** Three keys: one deleted now, one deleted 20 days later, one kept; then 31 days pass. */
  async function deletedKeys(flags: Record<string, unknown>) {
    server = await startTestApp('sqlite', { flags });
    const app = server;
    const browser = new TestBrowser(app.app);
    await browser.signup(uniqueEmail('bin'), testPassword);
    const [old, recent, kept] = [
      await addKey(browser, randomKey()),
      await addKey(browser, randomKey()),
      await addKey(browser, randomKey()),
    ];
    for (const key of [old, recent]) {
      await browser.request('DELETE', `/api/v1/keys/${key.id}`, { body: { confirmSaved: true } });
    }
    // Sessions end after 14 idle days, so the later deletion is dated in the database.
    const later = new Date(app.clock.now().getTime() + 20 * day).toISOString();
    await app.ctx.db
      .updateTable('recovery_keys')
      .set({ deleted_at: later })
      .where('id', '=', recent.id)
      .execute();
    app.clock.advance(31 * day);
    const bin = async () =>
      (
        await app.ctx.db
          .selectFrom('recovery_keys')
          .select('id')
          .where('deleted_at', 'is not', null)
          .execute()
      )
        .map((row) => row.id)
        .sort();
    return { server: app, old, recent, kept, bin };
  }

  it('are purged with their passwords once the retention period has passed', async () => {
    const { server, old, recent, kept, bin } = await deletedKeys({ deletedKeyRetentionDays: 30 });
    assert.equal(await purgeExpiredKeys(server.ctx), 1);
    assert.deepEqual(await bin(), [recent.id]);
    const secrets = await server.ctx.db
      .selectFrom('sealed_secrets')
      .select('bound_id')
      .where('bound_id', 'in', [old.id, recent.id, kept.id])
      .execute();
    assert.deepEqual(secrets.map((row) => row.bound_id).sort(), [recent.id, kept.id].sort());
  });

  it('are kept forever by default', async () => {
    const { server, old, recent, bin } = await deletedKeys({});
    server.clock.advance(3650 * day);
    assert.equal(await purgeExpiredKeys(server.ctx), 0);
    assert.deepEqual(await bin(), [old.id, recent.id].sort());
  });
});
