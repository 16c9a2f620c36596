import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/server/config.js';
import { policies } from '../../src/server/credential-limits.js';
import { databaseKinds } from '../server/databases.js';
import { connectDevice, startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { addKey, randomKey, revealKey } from '../server/key-library.js';

describe('the metrics setting', () => {
  it('is off by default and names the flag and variable when it is not host:port', () => {
    assert.equal(loadConfig({ dataDir: '/srv/keyhold' }, {}).metricsListen, undefined);
    assert.throws(
      () => loadConfig({ dataDir: '/srv/keyhold' }, { KEYHOLD_METRICS_LISTEN: '9464' }),
      /--metrics-listen \(KEYHOLD_METRICS_LISTEN\): must be host:port, such as 127\.0\.0\.1:9464/,
    );
  });
});

for (const kind of databaseKinds) {
  describe(`metrics and health on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let metricsUrl: string;
    before(async () => {
      server = await startTestApp(kind.name, {
        flags: { metricsListen: '127.0.0.1:0' },
        logLevel: 'info',
      });
      const address = /metrics on (http:\/\/[^ "]+\/metrics)/.exec(server.log())?.[1];
      assert.ok(address, 'the metrics address is logged');
      metricsUrl = address;
    });
    after(() => server.close());

    it('counts requests by route, sign-in failures, reveals and the database size', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(`metrics-${kind.name}@example.org`, 'violet tractor umbrella');
      const key = await addKey(browser, randomKey());
      assert.equal((await revealKey(browser, key.id)).status, 200);
      const stranger = new TestBrowser(server.app);
      assert.equal(
        (await stranger.signin(`metrics-${kind.name}@example.org`, 'not the password')).status,
        401,
      );

      const answer = await fetch(metricsUrl);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await answer.text();
      assert.match(
        text,
        /keyhold_http_requests_total\{method="POST",route="\/api\/v1\/keys\/:id\/reveal",status="200"\} 1/,
      );
      assert.match(text, /keyhold_key_reveals_total 1/);
      assert.match(text, /keyhold_signin_failures_total\{step="password"\} 1/);
      assert.match(text, /keyhold_database_size_bytes [1-9]/);
      assert.match(text, /keyhold_http_request_duration_seconds_bucket/);
      assert.equal(text.includes(key.id), false, 'ids stay out of the metrics');
      assert.equal((await fetch(metricsUrl.replace('/metrics', '/api/v1/keys'))).status, 404);

      const publicPort = await server.app.inject('/metrics');
      assert.equal(publicPort.statusCode, 404, 'metrics never answer on the public port');
    });

    it('counts sign-in lock-outs and keys sent in with a device token', async () => {
      const email = `metrics-lockout-${kind.name}@example.org`;
      const owner = new TestBrowser(server.app);
      await owner.signup(email, 'violet tractor umbrella');
      const guesser = new TestBrowser(server.app);
      const statuses: number[] = [];
      for (let guess = 0; guess <= policies.account.free; guess += 1) {
        statuses.push((await guesser.signin(email, `wrong guess ${guess}`)).status);
      }
      assert.equal(statuses.at(-1), 429, 'the guess after the free ones is locked out');

      const token = await connectDevice(server, owner, 'metrics-laptop');
      const device = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
      const checkIn = await device.request('POST', '/api/v1/keys', {
        body: randomKey(),
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(checkIn.status, 201);
      await addKey(owner, randomKey());

      const text = await (await fetch(metricsUrl)).text();
      assert.match(text, /keyhold_signin_lockouts_total 1$/m);
      assert.match(
        text,
        /keyhold_escrow_checkins_total 1$/m,
        'keys added in a browser are no check-ins',
      );
    });

    it('answers /readyz from the database and the master key, /healthz without either', async () => {
      const ready = await server.app.inject({
        url: '/readyz',
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), {
        status: 'ready',
        checks: { database: 'ok', masterKey: 'ok' },
        message: 'Klar til å betjene.',
      });
      await sql`update sealed_secrets set ciphertext = ${Buffer.alloc(60)} where kind = 'audit_chain_key'`.execute(
        server.ctx.db,
      );
      const broken = await server.app.inject('/readyz');
      assert.equal(broken.statusCode, 503);
      assert.deepEqual(broken.json(), {
        status: 'unavailable',
        checks: { database: 'ok', masterKey: 'failed' },
        message: 'The master key does not open the secrets in the database.',
      });
      assert.equal((await server.app.inject('/healthz')).statusCode, 200);
    });
  });
}
