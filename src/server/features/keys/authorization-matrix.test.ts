import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { newId } from '../../../db/ids.js';
import { importLimitKey } from './import.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';

/**
 * Every key, file, vault and find endpoint, called by each kind of caller. What belongs to
 * someone else must answer exactly as a key that does not exist; without a live session of the
 * named account, every endpoint answers 401.
 */

interface Fixture {
  key: KeySummaryReply;
  fileId: string;
}

interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  /** `:id` is a key or uploaded file of the owner; collections act on the caller's own data. */
  path: (fixture: Fixture) => string;
  scope: 'key' | 'file' | 'collection';
  body?: () => unknown;
  ownerStatus: number;
}

const uploadBody = () => {
  const file = writeRecoveryKeyFile(randomKey());
  return { filename: file.fileName, contentBase64: file.bytes.toString('base64') };
};

const endpoints: Endpoint[] = [
  {
    method: 'POST',
    path: () => '/api/v1/keys',
    scope: 'collection',
    body: () => randomKey(),
    ownerStatus: 201,
  },
  { method: 'GET', path: () => '/api/v1/keys', scope: 'collection', ownerStatus: 200 },
  {
    method: 'GET',
    path: (f) => `/api/v1/keys?q=${f.key.shortId}`,
    scope: 'collection',
    ownerStatus: 200,
  },
  {
    method: 'POST',
    path: () => '/api/v1/keys/import',
    scope: 'collection',
    body: uploadBody,
    ownerStatus: 200,
  },
  {
    method: 'POST',
    path: () => '/api/v1/keys/export',
    scope: 'collection',
    body: () => ({ format: 'json', password: testPassword }),
    ownerStatus: 200,
  },
  { method: 'GET', path: (f) => `/api/v1/keys/${f.key.id}`, scope: 'key', ownerStatus: 200 },
  {
    method: 'POST',
    path: (f) => `/api/v1/keys/${f.key.id}/reveal`,
    scope: 'key',
    ownerStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `/api/v1/keys/${f.key.id}/recovery-file`,
    scope: 'key',
    ownerStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `/api/v1/keys/${f.key.id}/sheet.pdf`,
    scope: 'key',
    ownerStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/keys/${f.key.id}/backups`,
    scope: 'key',
    body: () => ({ destination: 'usb' }),
    ownerStatus: 201,
  },
  {
    method: 'GET',
    path: (f) => `/api/v1/keys/${f.key.id}/backups`,
    scope: 'key',
    ownerStatus: 200,
  },
  { method: 'POST', path: (f) => `/api/v1/keys/${f.key.id}/vault`, scope: 'key', ownerStatus: 200 },
  {
    method: 'DELETE',
    path: (f) => `/api/v1/keys/${f.key.id}/vault`,
    scope: 'key',
    ownerStatus: 200,
  },
  {
    method: 'DELETE',
    path: (f) => `/api/v1/keys/${f.key.id}`,
    scope: 'key',
    body: () => ({ confirmSaved: true }),
    ownerStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/keys/${f.key.id}/restore`,
    scope: 'key',
    ownerStatus: 200,
  },
  {
    method: 'DELETE',
    path: (f) => `/api/v1/keys/${f.key.id}/permanently`,
    scope: 'key',
    body: () => ({ confirmPermanent: true }),
    // The owner's fixture key is not in the bin, so it is refused (purge.test.ts covers the rest).
    ownerStatus: 409,
  },
  { method: 'GET', path: () => '/api/v1/files', scope: 'collection', ownerStatus: 200 },
  {
    method: 'GET',
    path: (f) => `/api/v1/files/${f.fileId}/download`,
    scope: 'file',
    ownerStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/files/${f.fileId}/vault`,
    scope: 'file',
    ownerStatus: 204,
  },
  {
    method: 'DELETE',
    path: (f) => `/api/v1/files/${f.fileId}/vault`,
    scope: 'file',
    ownerStatus: 204,
  },
  { method: 'GET', path: () => '/api/v1/vault', scope: 'collection', ownerStatus: 200 },
  {
    method: 'POST',
    path: () => '/api/v1/vault/unlock',
    scope: 'collection',
    body: () => ({ password: testPassword }),
    ownerStatus: 200,
  },
  { method: 'POST', path: () => '/api/v1/vault/lock', scope: 'collection', ownerStatus: 200 },
  {
    method: 'GET',
    path: (f) => `/api/v1/find?keyId=${f.key.shortId}`,
    scope: 'collection',
    ownerStatus: 200,
  },
];

interface Caller {
  browser: TestBrowser | undefined;
  account?: string;
}

interface Answer {
  status: number;
  body: string;
}

for (const kind of databaseKinds) {
  describe(`authorization of the key library on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let owner: TestBrowser;
    let ownerId: string;
    let other: TestBrowser;
    let otherId: string;
    /** In one organisation with the owner: a fellow member and the organisation's admin. */
    let fellowMember: TestBrowser;
    let organisationAdmin: TestBrowser;
    let expired: TestBrowser;

    before(async () => {
      server = await startTestApp(kind.name);
      owner = new TestBrowser(server.app);
      const ownerEmail = uniqueEmail('owner');
      ownerId = await owner.signup(ownerEmail, testPassword);
      other = new TestBrowser(server.app);
      otherId = await other.signup(uniqueEmail('other'), testPassword);
      await addKey(other, randomKey());
      fellowMember = new TestBrowser(server.app);
      const fellowEmail = uniqueEmail('fellow');
      await fellowMember.signup(fellowEmail, testPassword);
      await addKey(fellowMember, randomKey());
      organisationAdmin = new TestBrowser(server.app);
      await organisationAdmin.signup(uniqueEmail('admin'), testPassword);
      const created = await organisationAdmin.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Shared office' } },
      );
      const orgId = created.body.organisation.id;
      for (const [email, role] of [
        [ownerEmail, 'member'],
        [fellowEmail, 'member'],
      ] as const) {
        const added = await organisationAdmin.request('POST', `/api/v1/orgs/${orgId}/members`, {
          body: { email, role },
        });
        assert.equal(added.status, 201, JSON.stringify(added.body));
      }
      expired = new TestBrowser(server.app);
      const expiredId = await expired.signup(uniqueEmail('expired'), testPassword);
      await addKey(expired, randomKey());
      await server.ctx.db
        .updateTable('sessions')
        // By the server's clock, which starts at real time but only moves as it is read.
        .set({ expires_at: new Date(server.clock.now().getTime() - 1000).toISOString() })
        .where('user_id', '=', expiredId)
        .execute();
    });
    after(() => server.close());

    /** A fresh key and uploaded file of the owner's, so no row depends on another. */
    async function ownerFixture(): Promise<Fixture> {
      // A file per fixture is far more than a person imports; the allowance is not under test here.
      await server.ctx.limiter.clear(importLimitKey(ownerId));
      const key = await addKey(owner, randomKey());
      const upload = await owner.request<{ fileId: string }>('POST', '/api/v1/keys/import', {
        body: uploadBody(),
      });
      return { key, fileId: upload.body.fileId };
    }

    async function call(caller: Caller, endpoint: Endpoint, url: string): Promise<Answer> {
      const headers: Record<string, string> = {};
      const { browser } = caller;
      if (browser) {
        headers.cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        if (endpoint.method !== 'GET' && browser.csrfToken) {
          headers['x-keyhold-csrf'] = browser.csrfToken;
        }
      }
      if (caller.account) headers['x-keyhold-account'] = caller.account;
      const options: InjectOptions = { method: endpoint.method, url, headers };
      const body = endpoint.body?.();
      if (body !== undefined) options.payload = body as InjectOptions['payload'];
      const response = await server.app.inject(options);
      return { status: response.statusCode, body: response.body };
    }

    for (const endpoint of endpoints) {
      const name = `${endpoint.method} ${endpoint.path({ key: { id: ':id', shortId: ':prefix' } as KeySummaryReply, fileId: ':id' })}`;

      it(`${name}: the owner is served`, async () => {
        const fixture = await ownerFixture();
        const answer = await call({ browser: owner }, endpoint, endpoint.path(fixture));
        assert.equal(answer.status, endpoint.ownerStatus, answer.body);
        const asNamed = await call(
          { browser: owner, account: ownerId },
          endpoint,
          endpoint.path(await ownerFixture()),
        );
        assert.equal(asNamed.status, endpoint.ownerStatus, asNamed.body);
      });

      // Sharing an organisation, even as its admin, opens nobody's personal library.
      for (const [who, browserOf] of [
        ['another account', () => other],
        ['a member of the same organisation', () => fellowMember],
        ["the admin of the owner's organisation", () => organisationAdmin],
      ] as const) {
        it(`${name}: ${who} gets what a missing item gets`, async () => {
          const fixture = await ownerFixture();
          const browser = browserOf();
          const answer = await call({ browser }, endpoint, endpoint.path(fixture));
          if (endpoint.scope === 'collection') {
            // Served, but only with the caller's own data.
            assert.ok(answer.status < 300, answer.body);
            assert.ok(!answer.body.includes(fixture.key.id), 'the owner key id leaked');
            assert.ok(!answer.body.includes(fixture.key.protectorId), 'the owner key ID leaked');
            return;
          }
          const missing = endpoint.path({
            key: { ...fixture.key, id: newId() },
            fileId: newId(),
          });
          const missingAnswer = await call({ browser }, endpoint, missing);
          assert.equal(answer.status, 404);
          assert.deepEqual(answer, missingAnswer);
        });
      }

      it(`${name}: anonymous, an expired session and an account not signed in here get 401`, async () => {
        const fixture = await ownerFixture();
        const url = endpoint.path(fixture);
        const callers: [string, Caller][] = [
          ['anonymous', { browser: undefined }],
          ['expired session', { browser: expired }],
          ['account not signed in in this browser', { browser: owner, account: otherId }],
        ];
        for (const [label, caller] of callers) {
          const answer = await call(caller, endpoint, url);
          assert.equal(answer.status, 401, `${label}: ${answer.body}`);
          assert.equal(
            (JSON.parse(answer.body) as { error: { code: string } }).error.code,
            'unauthenticated',
            label,
          );
        }
      });
    }
  });
}
