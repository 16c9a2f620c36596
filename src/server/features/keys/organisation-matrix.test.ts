import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { newId } from '../../../db/ids.js';
import { importLimitKey } from './import.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import {
  connectDevice,
  startTestApp,
  TestBrowser,
  type TestApp,
} from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';

/**
 * Every endpoint of an organisation's library, called by every role, by people outside it, with
 * a revoked session and with a token from `keyhold login`. What a caller may not do answers
 * exactly as the same call on a key (or device, or file) that does not exist, so nobody learns
 * what is there by being refused.
 */

interface Fixture {
  orgId: string;
  key: KeySummaryReply;
  fileId: string;
  deviceId: string;
}

type Action = 'read' | 'reveal' | 'write' | 'delete' | 'export' | 'manage' | 'audit' | 'member';
type Scope = 'key' | 'file' | 'device' | 'collection';

interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: (fixture: Fixture) => string;
  scope: Scope;
  action: Action;
  body?: (fixture: Fixture) => unknown;
  okStatus: number;
  /** What `keyhold backup --to account --org` does: a login token may, as far as its role allows. */
  byLoginToken?: true;
}

const uploadBody = () => {
  const file = writeRecoveryKeyFile(randomKey());
  return { filename: file.fileName, contentBase64: file.bytes.toString('base64') };
};

const org = (f: Fixture) => `/api/v1/orgs/${f.orgId}`;

const endpoints: Endpoint[] = [
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys`,
    scope: 'collection',
    action: 'write',
    body: () => randomKey(),
    okStatus: 201,

    byLoginToken: true,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys`,
    scope: 'collection',
    action: 'read',
    okStatus: 200,

    byLoginToken: true,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys?q=${f.key.shortId}`,
    scope: 'collection',
    action: 'read',
    okStatus: 200,

    byLoginToken: true,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys/import`,
    scope: 'collection',
    action: 'write',
    body: uploadBody,
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys/export`,
    scope: 'collection',
    action: 'export',
    body: () => ({ format: 'json', password: testPassword }),
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys/${f.key.id}`,
    scope: 'key',
    action: 'read',
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys/${f.key.id}/reveal`,
    scope: 'key',
    action: 'reveal',
    body: () => ({ reason: 'pin-forgotten', ticket: 'HD-1042' }),
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys/${f.key.id}/recovery-file`,
    scope: 'key',
    action: 'export',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys/${f.key.id}/sheet.pdf`,
    scope: 'key',
    action: 'export',
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys/${f.key.id}/backups`,
    scope: 'key',
    action: 'write',
    body: () => ({ destination: 'print' }),
    okStatus: 201,

    byLoginToken: true,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/keys/${f.key.id}/backups`,
    scope: 'key',
    action: 'read',
    okStatus: 200,
  },
  {
    method: 'DELETE',
    path: (f) => `${org(f)}/keys/${f.key.id}`,
    scope: 'key',
    action: 'delete',
    body: () => ({ confirmSaved: true }),
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/keys/${f.key.id}/restore`,
    scope: 'key',
    action: 'delete',
    okStatus: 200,
  },
  {
    method: 'DELETE',
    path: (f) => `${org(f)}/keys/${f.key.id}/permanently`,
    scope: 'key',
    action: 'delete',
    body: () => ({ confirmPermanent: true }),
    // The fixture key is not in the bin, so even those allowed are refused.
    okStatus: 409,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/files`,
    scope: 'collection',
    action: 'read',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/files/${f.fileId}/download`,
    scope: 'file',
    action: 'export',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/devices`,
    scope: 'collection',
    action: 'read',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/devices/${f.deviceId}`,
    scope: 'device',
    action: 'read',
    okStatus: 200,
  },
  {
    method: 'PATCH',
    path: (f) => `${org(f)}/devices/${f.deviceId}`,
    scope: 'device',
    action: 'write',
    body: () => ({ assigneeEmail: null }),
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/devices/${f.deviceId}/rotate`,
    scope: 'device',
    action: 'manage',
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/rotate`,
    scope: 'collection',
    action: 'manage',
    okStatus: 200,
  },
  {
    method: 'POST',
    path: (f) => `${org(f)}/import?dryRun=true`,
    scope: 'collection',
    action: 'write',
    body: () => ({
      filename: 'recovery-keys.json',
      contentBase64: Buffer.from(
        JSON.stringify({
          value: [{ id: randomKey().protectorId, key: randomKey().recoveryPassword }],
        }),
      ).toString('base64'),
    }),
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/audit`,
    scope: 'collection',
    action: 'audit',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/audit?format=csv&keyId=${f.key.shortId}`,
    scope: 'collection',
    action: 'audit',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/report?staleDays=7`,
    scope: 'collection',
    action: 'audit',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/report?format=csv`,
    scope: 'collection',
    action: 'audit',
    okStatus: 200,
  },
  {
    method: 'GET',
    path: (f) => `${org(f)}/policies`,
    scope: 'collection',
    action: 'member',
    okStatus: 200,
  },
  {
    method: 'PATCH',
    path: (f) => `${org(f)}/policies`,
    scope: 'collection',
    action: 'manage',
    body: () => ({ notifyAssignee: true }),
    okStatus: 200,
  },
];

type Role = 'owner' | 'admin' | 'helpdesk' | 'member' | 'auditor';

/** What each role may do in its organisation's library (the policy, written out again). */
const grants: Record<Role, readonly Action[]> = {
  owner: ['read', 'reveal', 'write', 'delete', 'export', 'manage', 'audit', 'member'],
  admin: ['read', 'reveal', 'write', 'delete', 'export', 'manage', 'audit', 'member'],
  helpdesk: ['read', 'reveal', 'write', 'member'],
  member: ['read', 'reveal', 'member'],
  auditor: ['audit', 'member'],
};

interface Answer {
  status: number;
  body: string;
}

for (const kind of databaseKinds) {
  describe(`authorization of organisation libraries on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let orgId = '';
    const people = new Map<string, { browser: TestBrowser; email: string; id: string }>();
    let outsider: TestBrowser;
    let otherOrganisation: TestBrowser;
    let revoked: TestBrowser;
    let token = '';

    async function person(name: string) {
      const browser = new TestBrowser(server.app);
      const email = uniqueEmail(name);
      const id = await browser.signup(email, testPassword);
      return { browser, email, id };
    }

    function browserOf(name: string): TestBrowser {
      const found = people.get(name);
      if (!found) throw new Error(`no ${name}`);
      return found.browser;
    }

    before(async () => {
      server = await startTestApp(kind.name);
      const owner = await person('owner');
      people.set('owner', owner);
      const created = await owner.browser.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Acme IT' } },
      );
      orgId = created.body.organisation.id;
      for (const role of ['admin', 'helpdesk', 'member', 'auditor'] as const) {
        const someone = await person(role);
        people.set(role, someone);
        const added = await owner.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
          body: { email: someone.email, role },
        });
        assert.equal(added.status, 201, JSON.stringify(added.body));
      }
      // A member of the organisation whose device the fixture's is not.
      const bystander = await person('bystander');
      people.set('bystander', bystander);
      await owner.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: bystander.email, role: 'member' },
      });
      outsider = (await person('outsider')).browser;
      otherOrganisation = (await person('elsewhere')).browser;
      await otherOrganisation.request('POST', '/api/v1/orgs', { body: { name: 'Elsewhere' } });
      const leaving = await person('revoked');
      revoked = leaving.browser;
      await owner.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: leaving.email, role: 'admin' },
      });
      await server.ctx.db
        .updateTable('sessions')
        .set({ revoked_at: server.clock.now().toISOString() })
        .where('user_id', '=', leaving.id)
        .execute();
      token = await connectDevice(server, owner.browser, 'helpdesk-pc');
    });
    after(() => server.close());

    /** A fresh key on a device assigned to the member, and a fresh uploaded file. */
    async function fixture(): Promise<Fixture> {
      const owner = people.get('owner');
      const member = people.get('member');
      if (!owner || !member) throw new Error('people missing');
      await server.ctx.limiter.clear(importLimitKey(owner.id));
      const added = await owner.browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...randomKey(), assigneeEmail: member.email } },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const upload = await owner.browser.request<{ fileId: string }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys/import`,
        { body: uploadBody() },
      );
      assert.equal(upload.status, 200, JSON.stringify(upload.body));
      const devices = await owner.browser.request<{ items: { id: string; name: string }[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/devices`,
      );
      const device = devices.body.items.find((d) => d.name === added.body.key.deviceName);
      assert.ok(device, 'the key has a device');
      return { orgId, key: added.body.key, fileId: upload.body.fileId, deviceId: device.id };
    }

    async function call(
      browser: TestBrowser | undefined,
      endpoint: Endpoint,
      fixture: Fixture,
      headers: Record<string, string> = {},
    ): Promise<Answer> {
      const sent: Record<string, string> = { ...headers };
      if (browser) {
        sent.cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        if (endpoint.method !== 'GET' && browser.csrfToken) {
          sent['x-keyhold-csrf'] = browser.csrfToken;
        }
      }
      const options: InjectOptions = {
        method: endpoint.method,
        url: endpoint.path(fixture),
        headers: sent,
      };
      const body = endpoint.body?.(fixture);
      if (body !== undefined) options.payload = body as InjectOptions['payload'];
      const response = await server.app.inject(options);
      return { status: response.statusCode, body: response.body };
    }

    /** The same call on an item that does not exist (or an organisation that does not). */
    function missing(fixture: Fixture, scope: Scope | 'organisation'): Fixture {
      if (scope === 'organisation') return { ...fixture, orgId: newId() };
      return {
        ...fixture,
        key: scope === 'key' ? { ...fixture.key, id: newId() } : fixture.key,
        fileId: scope === 'file' ? newId() : fixture.fileId,
        deviceId: scope === 'device' ? newId() : fixture.deviceId,
      };
    }

    for (const endpoint of endpoints) {
      const name = `${endpoint.method} ${endpoint.path({
        orgId: ':orgId',
        key: { id: ':id', shortId: ':prefix' } as KeySummaryReply,
        fileId: ':id',
        deviceId: ':id',
      })}`;

      for (const role of ['owner', 'admin', 'helpdesk', 'member', 'auditor'] as const) {
        it(`${name}: ${role}`, async () => {
          const f = await fixture();
          const answer = await call(browserOf(role), endpoint, f);
          // A member reaches the devices assigned to them, and no uploaded file.
          const reaches = role !== 'member' || endpoint.scope !== 'file';
          if (grants[role].includes(endpoint.action) && reaches) {
            assert.equal(answer.status, endpoint.okStatus, answer.body);
            return;
          }
          assert.ok(answer.status === 403 || answer.status === 404, answer.body);
          const refusal = await call(browserOf(role), endpoint, missing(f, endpoint.scope));
          if (endpoint.scope !== 'collection') assert.deepEqual(answer, refusal);
          assert.ok(!answer.body.includes(f.key.protectorId), 'the Key ID leaked');
        });
      }

      it(`${name}: a member whose device it is not`, async () => {
        const f = await fixture();
        const answer = await call(browserOf('bystander'), endpoint, f);
        if (endpoint.scope === 'collection') {
          if (grants.member.includes(endpoint.action)) {
            assert.equal(answer.status, endpoint.okStatus, answer.body);
          } else {
            assert.equal(answer.status, 403, answer.body);
          }
          assert.ok(!answer.body.includes(f.key.protectorId), 'the Key ID leaked');
          assert.ok(!answer.body.includes(f.key.id), 'the key id leaked');
          return;
        }
        const refusal = await call(browserOf('bystander'), endpoint, missing(f, endpoint.scope));
        assert.ok(answer.status === 403 || answer.status === 404, answer.body);
        assert.deepEqual(answer, refusal);
      });

      for (const [who, browserFor] of [
        ['someone outside the organisation', () => outsider],
        ['a member of another organisation', () => otherOrganisation],
      ] as const) {
        it(`${name}: ${who} gets what a missing item gets`, async () => {
          const f = await fixture();
          const answer = await call(browserFor(), endpoint, f);
          const refusal = await call(
            browserFor(),
            endpoint,
            missing(f, endpoint.scope === 'collection' ? 'organisation' : endpoint.scope),
          );
          assert.equal(answer.status, 404, answer.body);
          assert.deepEqual(answer, refusal);
        });
      }

      const tokenAnswer = endpoint.byLoginToken
        ? "an owner's keyhold login token is let in"
        : 'a keyhold login token is refused';
      it(`${name}: a revoked session gets 401, ${tokenAnswer}`, async () => {
        const f = await fixture();
        const signedOut = await call(revoked, endpoint, f);
        assert.equal(signedOut.status, 401, signedOut.body);
        const byToken = await call(undefined, endpoint, f, { authorization: `Bearer ${token}` });
        if (endpoint.byLoginToken) {
          assert.equal(byToken.status, endpoint.okStatus, byToken.body);
        } else {
          assert.equal(byToken.status, 403, byToken.body);
          assert.ok(!byToken.body.includes(f.key.protectorId), 'the Key ID leaked');
        }
      });
    }
  });
}
