import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/server/config.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';

/**
 * Attacks on the HTTP edge that an in-process app shows (see http-edge-serve.test.ts for the ones
 * that need the real listener): forged client addresses, foreign Host names, malformed multipart
 * bodies, secrets in the log and API answers left in the browser's disk cache.
 */

const password = 'Correct-Horse-Battery-9';

/** A browser whose connections come from a given address (a proxy, or a client reaching us). */
class BrowserAt extends TestBrowser {
  override readonly ipAddress: string;
  constructor(app: FastifyInstance, address: string) {
    super(app);
    this.ipAddress = address;
  }
}

function errorCode(body: unknown): string | undefined {
  return (body as { error?: { code?: string } } | null)?.error?.code;
}

for (const kind of databaseKinds) {
  describe(`HTTP edge attacks (${kind.name})`, { skip: kind.skip }, () => {
    describe('behind a proxy trusting one hop (--behind-proxy)', () => {
      let server: TestApp;
      before(async () => {
        server = await startTestApp(kind.name, { flags: { behindProxy: true } });
      });
      after(() => server.close());

      it('takes the address the proxy appended, never one the client wrote', async () => {
        const proxy = new BrowserAt(server.app, '10.20.30.40');
        // The client forged the first entry; the proxy appended the address it saw.
        await proxy.request('POST', '/api/v1/auth/signup', {
          body: { email: 'ada@example.org', password, displayName: 'Ada' },
          headers: { 'x-forwarded-for': '198.51.100.77, 203.0.113.5' },
        });
        const sessions = await proxy.request('GET', '/api/v1/auth/sessions');
        const audit = await proxy.request('GET', '/api/v1/audit');
        for (const answer of [sessions, audit]) {
          assert.equal(answer.status, 200);
          const text = JSON.stringify(answer.body);
          assert.ok(text.includes('203.0.113.5'), text);
          assert.ok(!text.includes('198.51.100.77'), text);
        }
      });

      it('keeps the per-address sign-in limit when the forged address changes every time', async () => {
        const proxy = new BrowserAt(server.app, '10.20.30.41');
        const statuses: number[] = [];
        for (let attempt = 0; attempt < 40 && !statuses.includes(429); attempt++) {
          const answer = await proxy.request('POST', '/api/v1/auth/signin', {
            body: { email: `nobody${attempt}@example.org`, password: 'Wrong-Password-42' },
            headers: { 'x-forwarded-for': `198.51.100.${attempt + 1}, 203.0.113.9` },
          });
          statuses.push(answer.status);
        }
        assert.ok(statuses.includes(429), `never limited: ${statuses.join(' ')}`);
      });
    });

    describe('behind a proxy with --trusted-proxies', () => {
      let server: TestApp;
      before(async () => {
        server = await startTestApp(kind.name, {
          flags: { behindProxy: true, trustedProxies: '192.0.2.0/28, 2001:db8::1' },
        });
      });
      after(() => server.close());

      it('ignores X-Forwarded-For from anyone but the proxies', async () => {
        const direct = new BrowserAt(server.app, '10.66.0.1');
        await direct.request('POST', '/api/v1/auth/signup', {
          body: { email: 'eve@example.org', password, displayName: 'Eve' },
          headers: { 'x-forwarded-for': '198.51.100.99' },
        });
        const text = JSON.stringify((await direct.request('GET', '/api/v1/auth/sessions')).body);
        assert.ok(text.includes('10.66.0.1'), text);
        assert.ok(!text.includes('198.51.100.99'), text);
      });

      it('walks back through trusted proxies to the first address that is not one', async () => {
        const proxy = new BrowserAt(server.app, '192.0.2.3');
        await proxy.request('POST', '/api/v1/auth/signup', {
          body: { email: 'bob@example.org', password, displayName: 'Bob' },
          headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.44, 192.0.2.9' },
        });
        const text = JSON.stringify((await proxy.request('GET', '/api/v1/auth/sessions')).body);
        assert.ok(text.includes('203.0.113.44'), text);
        assert.ok(!text.includes('198.51.100.1'), text);
      });
    });

    describe('on loopback (the default)', () => {
      let server: TestApp;
      before(async () => {
        server = await startTestApp(kind.name, { logLevel: 'trace' });
      });
      after(() => server.close());

      it('answers localhost and its listen address, with or without a port', async () => {
        for (const host of [
          'localhost',
          'localhost:8080',
          '127.0.0.1',
          '127.0.0.1:8080',
          'LocalHost:80',
        ]) {
          const answer = await server.app.inject({ url: '/healthz', headers: { host } });
          assert.equal(answer.statusCode, 200, host);
        }
      });

      it('refuses a foreign Host even with a matching Origin, and spends no sign-in attempt', async () => {
        const person = new TestBrowser(server.app);
        await person.signup('carol@example.org', password);
        for (const host of [
          'evil.example',
          'evil.example:8080',
          '127.0.0.1.evil.example',
          'localhost.evil.example',
          '[::1]:8080',
          'user@localhost',
        ]) {
          const page = await server.app.inject({ url: '/', headers: { host } });
          assert.equal(page.statusCode, 421, host);
          assert.equal(errorCode(page.json()), 'host_not_allowed');
        }
        // A page on evil.example whose name now points at 127.0.0.1 guesses passwords.
        const rebound = new BrowserAt(server.app, '127.0.0.1');
        for (let guess = 0; guess < 30; guess++) {
          const answer = await rebound.request('POST', '/api/v1/auth/signin', {
            body: { email: 'carol@example.org', password: `Guess-${guess}-abcdefgh` },
            headers: { host: 'evil.example:8080', origin: 'http://evil.example:8080' },
          });
          assert.equal(answer.status, 421);
        }
        const signin = await new BrowserAt(server.app, '127.0.0.1').signin(
          'carol@example.org',
          password,
        );
        assert.equal(signin.status, 200);
      });

      it('answers a multipart upload without a boundary, or cut short, with 400 and logs no stack', async () => {
        const person = new TestBrowser(server.app);
        await person.signup('dave@example.org', password);
        const broken = [
          { type: 'multipart/form-data', body: 'file=abc' },
          { type: 'multipart/form-data; boundary=', body: 'x' },
          {
            type: 'multipart/form-data; boundary=XYZ',
            body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="k.txt"\r\n\r\n11',
          },
        ];
        for (const { type, body } of broken) {
          const answer = await server.app.inject({
            method: 'POST',
            url: '/api/v1/keys/import',
            headers: {
              'content-type': type,
              cookie: [...person.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
              'x-keyhold-csrf': person.csrfToken ?? '',
            },
            payload: body,
          });
          assert.equal(answer.statusCode, 400, type);
          assert.equal(errorCode(answer.json()), 'invalid_request');
        }
        assert.doesNotMatch(server.log(), /"stack"|unhandled error|"level":50/);
      });

      it('logs no query string, CSRF token or device code, even at trace level', async () => {
        const person = new TestBrowser(server.app);
        await person.signup('erin@example.org', password);
        const recoveryPassword = '111111-222222-333333-444444-555555-666666-777777-888888';
        const search = await person.request('GET', `/api/v1/keys?q=${recoveryPassword}`);
        assert.equal(search.status, 200);
        await person.request('GET', '/connect-device?code=WDJB-MJHT');
        await server.app.inject({
          method: 'POST',
          url: '/api/v1/keys/import?dryRun=true',
          headers: {
            'content-type': 'multipart/form-data; boundary=XYZ',
            cookie: [...person.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
            'x-keyhold-csrf': person.csrfToken ?? '',
          },
          payload: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="k.txt"\r\n\r\n',
        });
        const log = server.log();
        assert.match(log, /"url":"\/api\/v1\/keys"/);
        assert.match(log, /"url":"\/connect-device"/);
        assert.ok(person.csrfToken && !log.includes(person.csrfToken), 'the CSRF token was logged');
        for (const secret of [recoveryPassword, 'WDJB-MJHT', '?q=', '?code=', 'dryRun']) {
          assert.ok(!log.includes(secret), `the log holds ${secret}`);
        }
      });

      it('marks every API answer Cache-Control: no-store', async () => {
        const person = new TestBrowser(server.app);
        await person.signup('fay@example.org', password);
        const document = await server.app.inject('/api/docs/json');
        const paths = Object.entries(
          document.json<{ paths: Record<string, Record<string, unknown>> }>().paths,
        );
        const answers = [document];
        let reads = 0;
        for (const [path, methods] of paths) {
          if (!('get' in methods)) continue;
          const url = path.replace(/\{[^}]+\}/g, '01890a5d-ac96-774b-bcce-b302099a8057');
          const answer = await person.request('GET', url);
          reads++;
          assert.equal(answer.headers['cache-control'], 'no-store', `GET ${url}`);
        }
        assert.ok(reads >= 10, `only ${reads} readable paths`);
        answers.push(
          await server.app.inject('/api/v1/auth/me'),
          await server.app.inject('/api/nowhere'),
          await server.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: {} }),
          await server.app.inject('/api/docs'),
        );
        for (const answer of answers) {
          assert.equal(answer.headers['cache-control'], 'no-store', answer.raw.req.url);
        }
        // The answer holding a new TOTP secret, as the issue saw it cached.
        const totp = await person.request('POST', '/api/v1/auth/totp/enrol', {
          body: { password },
        });
        assert.equal(totp.status, 200);
        assert.equal(totp.headers['cache-control'], 'no-store');
      });
    });

    describe('with --public-url behind a proxy', () => {
      let server: TestApp;
      before(async () => {
        server = await startTestApp(kind.name, {
          flags: {
            host: '0.0.0.0',
            behindProxy: true,
            trustedProxies: '10.1.1.1',
            publicUrl: 'https://keys.example.org',
          },
        });
      });
      after(() => server.close());

      it('answers the public name, and refuses other names however they are passed on', async () => {
        const ok = await server.app.inject({
          url: '/healthz',
          headers: { host: 'keys.example.org' },
          remoteAddress: '10.1.1.1',
        });
        assert.equal(ok.statusCode, 200);
        const forwarded = await server.app.inject({
          url: '/healthz',
          headers: { host: 'keys.example.org', 'x-forwarded-host': 'evil.example' },
          remoteAddress: '10.1.1.1',
        });
        assert.equal(forwarded.statusCode, 421);
        const foreign = await server.app.inject({
          url: '/healthz',
          headers: { host: 'evil.example' },
          remoteAddress: '10.1.1.1',
        });
        assert.equal(foreign.statusCode, 421);
      });
    });
  });
}

describe('proxy settings', () => {
  it('trusts a hop count or a list of proxies, and names the setting when it is wrong', () => {
    assert.deepEqual(
      loadConfig({ behindProxy: true }, { KEYHOLD_TRUSTED_PROXIES: '10.0.0.1, fd00::/8' })
        .trustedProxies,
      ['10.0.0.1', 'fd00::/8'],
    );
    assert.equal(loadConfig({ behindProxy: true, proxyHops: '2' }, {}).proxyHops, 2);
    assert.throws(
      () => loadConfig({ behindProxy: true, trustedProxies: '10.0.0.0/33' }, {}),
      /--trusted-proxies \(KEYHOLD_TRUSTED_PROXIES\): "10.0.0.0\/33" is not an IP address/,
    );
    assert.throws(
      () => loadConfig({ trustedProxies: '10.0.0.1' }, {}),
      /--trusted-proxies \(KEYHOLD_TRUSTED_PROXIES\): only applies behind a proxy/,
    );
    assert.throws(
      () => loadConfig({ behindProxy: true, trustedProxies: '10.0.0.1', proxyHops: 2 }, {}),
      /--proxy-hops \(KEYHOLD_PROXY_HOPS\): give either/,
    );
    assert.throws(
      () => loadConfig({ requestTimeoutSeconds: '0' }, {}),
      /--request-timeout-seconds \(KEYHOLD_REQUEST_TIMEOUT_SECONDS\)/,
    );
    assert.throws(
      () => loadConfig({}, { KEYHOLD_CONNECTIONS_PER_ADDRESS: 'lots' }),
      /--connections-per-address \(KEYHOLD_CONNECTIONS_PER_ADDRESS\)/,
    );
  });
});
