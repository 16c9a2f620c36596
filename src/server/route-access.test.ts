import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { newId } from '../db/ids.js';
import { databaseKinds } from '../../test/server/databases.js';
import {
  connectDevice,
  startTestApp,
  TestBrowser,
  type TestApp,
} from '../../test/server/harness.js';
import { randomKey, testPassword, uniqueEmail } from '../../test/server/key-library.js';
import { installRouteAccess, routeAccessKinds, type DeclaredRoute } from './route-access.js';

type Security = Record<string, string[]>[];

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Security }>>;
  components: { securitySchemes: Record<string, unknown> };
}

/**
 * The public /api routes: signing in, the browser's account picker, feedback, device codes, and
 * a computer enrolling and proving it is the enrolled one.
 */
const publicApiRoutes = [
  'POST /api/v1/auth/signup',
  'POST /api/v1/auth/confirm-email',
  'POST /api/v1/auth/identify',
  'POST /api/v1/auth/signin',
  'POST /api/v1/auth/signin/second-factor',
  'POST /api/v1/auth/signin/passkey-options',
  'POST /api/v1/auth/signin/passkey',
  'POST /api/v1/auth/sso/callback',
  'GET /api/v1/auth/accounts',
  'HEAD /api/v1/auth/accounts',
  'DELETE /api/v1/auth/accounts/:accountId',
  'POST /api/v1/feedback',
  'POST /api/v1/device/authorize',
  'POST /api/v1/device/token',
  'POST /api/v1/agent/enroll',
  'POST /api/v1/agent/challenge',
  'POST /api/v1/agent/token',
  'POST /api/v1/agent/check-in',
];

/** What a token from `keyhold login` may call: the key operations, the token itself, and adding keys to an organisation. */
const tokenRoutes = [
  'GET /api/v1/keys',
  'HEAD /api/v1/keys',
  'POST /api/v1/keys',
  'POST /api/v1/keys/import',
  'GET /api/v1/keys/:id',
  'HEAD /api/v1/keys/:id',
  'POST /api/v1/keys/:id/reveal',
  'GET /api/v1/keys/:id/recovery-file',
  'GET /api/v1/keys/:id/sheet.pdf',
  'GET /api/v1/keys/:id/backups',
  'HEAD /api/v1/keys/:id/backups',
  'POST /api/v1/keys/:id/backups',
  'GET /api/v1/device/token',
  'HEAD /api/v1/device/token',
  'DELETE /api/v1/device/token',
  // keyhold backup --to account --org NAME: find the organisation, add the key, record backups.
  'GET /api/v1/orgs',
  'HEAD /api/v1/orgs',
  'GET /api/v1/orgs/:orgId/keys',
  'HEAD /api/v1/orgs/:orgId/keys',
  'POST /api/v1/orgs/:orgId/keys',
  'POST /api/v1/orgs/:orgId/keys/:id/backups',
];

/**
 * Requests the schemas accept, so each reaches the access check (a body or query the schema
 * refuses is answered 400 first, and reaches nothing either).
 */
const queries: Record<string, string> = { 'GET /api/v1/find': '?keyId=ABCD1234' };
const bodies: Record<string, unknown> = {
  'PATCH /api/v1/auth/me': { displayName: 'Kari' },
  'POST /api/v1/auth/confirm-email': { token: 'A'.repeat(43) },
  'POST /api/v1/auth/password': { currentPassword: testPassword, newPassword: 'another one' },
  'POST /api/v1/auth/totp/enrol': { password: testPassword },
  'POST /api/v1/auth/totp/confirm': { totp: '123456' },
  'POST /api/v1/auth/totp/disable': { password: testPassword },
  'POST /api/v1/auth/recovery-codes': { password: testPassword },
  'POST /api/v1/auth/passkeys/registration-options': { password: testPassword },
  'POST /api/v1/auth/passkeys': {
    name: 'Laptop',
    response: {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' },
    },
  },
  'PATCH /api/v1/auth/passkeys/:id': { name: 'Laptop' },
  'POST /api/v1/orgs': { name: 'Kari AS' },
  'POST /api/v1/orgs/:orgId/members': { email: 'ola@example.com', role: 'member' },
  'PATCH /api/v1/orgs/:orgId/members/:accountId': { role: 'member' },
  'PUT /api/v1/orgs/:orgId/sign-in': {
    issuer: 'https://login.example.org',
    clientId: 'keyhold',
    enabled: true,
    requireSso: false,
    defaultRole: 'member',
  },
  'POST /api/v1/orgs/:orgId/sign-in/domains': { domain: 'example.org' },
  'POST /api/v1/device/lookup': { userCode: 'BCDF-GHJK' },
  'POST /api/v1/device/approve': { userCode: 'BCDF-GHJK', approve: true },
  'POST /api/v1/keys/export': { format: 'json', password: testPassword },
  'DELETE /api/v1/keys/:id': { confirmSaved: true },
  'DELETE /api/v1/keys/:id/permanently': { confirmPermanent: true },
  'POST /api/v1/vault/unlock': { password: testPassword },
  'POST /api/v1/keys': randomKey(),
  'POST /api/v1/keys/import': { filename: 'key.txt', contentBase64: 'AAAA' },
  'POST /api/v1/keys/:id/backups': { destination: 'usb' },
  'POST /api/v1/orgs/:orgId/keys/:id/reveal': { reason: 'pin-forgotten' },
  'PATCH /api/v1/orgs/:orgId/devices/:id': { assigneeEmail: null },
  'POST /api/v1/orgs/:orgId/import': { filename: 'keys.csv', contentBase64: '' },
  'POST /api/v1/orgs/:orgId/enrollment-tokens': { name: 'Laptops' },
};

describe('route access', () => {
  it('stops the server from starting when a route declares no access', async () => {
    const app = Fastify();
    installRouteAccess(app);
    assert.throws(
      () => app.get('/api/v1/undeclared', () => 'reached'),
      /GET \/api\/v1\/undeclared declares no access/,
    );
    await app.close();
  });

  for (const kind of databaseKinds) {
    describe(`on ${kind.name}`, { skip: kind.skip }, () => {
      let server: TestApp;
      let document: OpenApiDocument;
      before(async () => {
        server = await startTestApp(kind.name);
        document = (await server.app.inject('/api/docs/json')).json<OpenApiDocument>();
      });
      after(() => server.close());

      /** A token issued through the device sign-in flow, and the browser that approved it. */
      async function connectedDevice(): Promise<{ token: string; browser: TestBrowser }> {
        const browser = new TestBrowser(server.app);
        await browser.signup(uniqueEmail('kari'), testPassword);
        return { token: await connectDevice(server, browser), browser };
      }

      it('has every route of the served app declare its access', () => {
        const declared = new Map<string, DeclaredRoute>(
          server.app.declaredRoutes.flatMap((route) =>
            route.method.split(',').map((method) => [`${method} ${route.url}`, route] as const),
          ),
        );
        for (const [route, { access }] of declared) {
          assert.ok(routeAccessKinds.includes(access), `${route} declares its access`);
        }
        // The OpenAPI plugin keeps its own list of the API's routes: each is among them.
        for (const [path, operations] of Object.entries(document.paths)) {
          for (const method of Object.keys(operations)) {
            const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
            assert.ok(declared.has(route), `${route} is among the declared routes`);
          }
        }
        assert.equal(declared.get('GET /healthz')?.access, 'public');
        assert.equal(declared.get('GET /*')?.access, 'public');
        assert.equal(declared.get('GET /api/docs/json')?.access, 'public');

        const publicApi = [...declared]
          .filter(([route, { access }]) => access === 'public' && route.includes(' /api/v1/'))
          .map(([route]) => route);
        assert.deepEqual(publicApi.sort(), [...publicApiRoutes].sort());
        const forTokens = [...declared]
          .filter(([, { access }]) => access === 'token' || access === 'browser-or-token')
          .map(([route]) => route);
        assert.deepEqual(forTokens.sort(), [...tokenRoutes].sort());
      });

      it('describes in OpenAPI which routes take the cookie, a token, or either', () => {
        assert.deepEqual(document.components.securitySchemes.bearerToken, {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from keyhold login (device sign-in, RFC 8628)',
        });
        const securityOf = (method: string, path: string) =>
          document.paths[path]?.[method]?.security;
        assert.deepEqual(securityOf('get', '/api/v1/keys'), [
          { browserCookie: [] },
          { bearerToken: ['keys'] },
        ]);
        assert.deepEqual(securityOf('post', '/api/v1/keys/{id}/reveal'), [
          { browserCookie: [] },
          { bearerToken: ['keys'] },
        ]);
        assert.deepEqual(securityOf('get', '/api/v1/device/token'), [{ bearerToken: [] }]);
        for (const [method, path] of [
          ['get', '/api/v1/vault'],
          ['post', '/api/v1/keys/export'],
          ['get', '/api/v1/find'],
          ['get', '/api/v1/auth/sessions'],
        ] as const) {
          assert.deepEqual(securityOf(method, path), [{ browserCookie: [] }], `${method} ${path}`);
        }
        assert.equal(securityOf('post', '/api/v1/auth/signin'), undefined);
      });

      it('takes a token where it may act and refuses it on every browser-only route', async () => {
        const { token, browser } = await connectedDevice();
        const device = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
        const bearer = { authorization: `Bearer ${token}` };

        const key = randomKey();
        const added = await device.request<{ key: { id: string } }>('POST', '/api/v1/keys', {
          body: key,
          headers: bearer,
        });
        assert.equal(added.status, 201);
        const whoami = await device.request('GET', '/api/v1/device/token', { headers: bearer });
        assert.equal(whoami.status, 200);

        // The browser's own cookie and CSRF token do not turn a token into a session.
        const browserOnly = server.app.declaredRoutes.filter(
          (route) => route.access === 'browser' && route.method !== 'HEAD',
        );
        assert.ok(browserOnly.length > 30);
        for (const route of browserOnly) {
          const call = `${route.method} ${route.url}`;
          // An organisation library's route takes what the personal library's twin takes.
          const twin = call.replace('/api/v1/orgs/:orgId/', '/api/v1/');
          const url =
            route.url.replace(/:\w+/g, added.body.key.id) + (queries[call] ?? queries[twin] ?? '');
          const method = route.method as 'GET' | 'POST' | 'PATCH' | 'DELETE';
          const answer = await browser.request<{ error: { message: string } }>(method, url, {
            ...(method === 'GET' ? {} : { body: bodies[call] ?? bodies[twin] ?? {} }),
            headers: bearer,
          });
          assert.equal(answer.status, 403, `${call}: ${JSON.stringify(answer.body)}`);
          assert.match(answer.body.error.message, /only works for key operations/);
        }
        const stillThere = await browser.request<{ items: unknown[] }>('GET', '/api/v1/keys');
        assert.equal(stillThere.body.items.length, 1, 'no browser-only route deleted the key');

        // The vault opens for a browser session; a token never reads through it.
        const reveal = `/api/v1/keys/${added.body.key.id}/reveal`;
        await browser.request('POST', `/api/v1/keys/${added.body.key.id}/vault`);
        const unlocked = await browser.request('POST', '/api/v1/vault/unlock', {
          body: { password: testPassword },
        });
        assert.equal(unlocked.status, 200);
        assert.equal((await browser.request('POST', reveal, { body: {} })).status, 200);
        const throughToken = await device.request<{ error: { code: string } }>('POST', reveal, {
          body: {},
          headers: bearer,
        });
        assert.equal(throughToken.status, 423);
        assert.equal(throughToken.body.error.code, 'vault_locked');
      });

      it('refuses a session where only a token may act, and a token that is not live', async () => {
        const { browser } = await connectedDevice();
        const whoami = await browser.request<{ error: { message: string } }>(
          'GET',
          '/api/v1/device/token',
        );
        assert.equal(whoami.status, 401);
        assert.match(whoami.body.error.message, /token from keyhold login/);
        const unknown = await browser.request('GET', '/api/v1/vault', {
          headers: { authorization: `Bearer kh_${newId().replaceAll('-', '')}` },
        });
        assert.equal(unknown.status, 401);
      });
    });
  }
});
