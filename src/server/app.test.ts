import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

describe('server skeleton', () => {
  it('answers /healthz and a JSON 404 for unknown paths', async () => {
    const app = await buildApp({ config: loadConfig({ logLevel: 'silent' }, {}) });
    const health = await app.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const missing = await app.inject('/nowhere');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'not_found');
    await app.close();
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
});
