import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../test/server/harness.js';
import { loadConfig } from './config.js';

describe('server skeleton', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp('sqlite');
  });
  after(() => server.close());

  it('answers /healthz and a JSON 404 for unknown paths', async () => {
    const health = await server.app.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const missing = await server.app.inject('/nowhere');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'not_found');
  });

  it('refuses a public address without TLS or a proxy, naming the fix', () => {
    assert.throws(
      () => loadConfig({ host: '0.0.0.0' }, {}),
      /--host .*--tls-cert and --tls-key, or --behind-proxy/s,
    );
    assert.equal(loadConfig({ host: '0.0.0.0', behindProxy: true }, {}).host, '0.0.0.0');
  });

  it('takes KEYHOLD_* variables when no flag is given, and flags win', () => {
    const env = { KEYHOLD_PORT: '9999', KEYHOLD_BEHIND_PROXY: 'true', KEYHOLD_HOST: '10.0.0.1' };
    const fromEnv = loadConfig({}, env);
    assert.equal(fromEnv.port, 9999);
    assert.equal(fromEnv.behindProxy, true);
    assert.equal(loadConfig({ port: '8081' }, env).port, 8081);
    assert.throws(() => loadConfig({ port: 'eighty' }, {}), /--port \(KEYHOLD_PORT\)/);
  });

  it('sends a strict content security policy and refuses bodies that are not JSON', async () => {
    const health = await server.app.inject('/healthz');
    const csp = String(health.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(health.headers['x-content-type-options'], 'nosniff');

    const form = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signin',
      headers: { 'content-type': 'text/plain' },
      payload: '{"email":"a@example.org","password":"x"}',
    });
    assert.equal(form.statusCode, 415);
    assert.equal(form.json<{ error: { code: string } }>().error.code, 'unsupported_media_type');

    const huge = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signin',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.org', password: 'x'.repeat(100_000) }),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json<{ error: { code: string } }>().error.code, 'body_too_large');
  });
});
