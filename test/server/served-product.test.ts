import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody } from '../../src/api/errors.js';
import { startKeyhold, type KeyholdServer } from '../e2e/browser.js';
import { startTestApp } from './harness.js';

/**
 * The product as people run it: the compiled `keyhold serve` with the web app built, asked for
 * what a first visit and the API documentation need. A route that only breaks in this
 * composition (the web app's fallback beside the API) shows up here and nowhere else.
 */
describe('keyhold serve with the web app built', () => {
  let server: KeyholdServer;
  before(async () => {
    server = await startKeyhold();
  });
  after(() => server.stop());

  it('publishes the OpenAPI document and the page that browses it', async () => {
    const document = await fetch(`${server.url}/api/docs/json`);
    assert.equal(document.status, 200, await document.clone().text());
    const { paths } = (await document.json()) as { paths: Record<string, object> };
    const described = new Set(
      Object.entries(paths).flatMap(([path, operations]) =>
        Object.keys(operations).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      ),
    );
    // Every API route the server registers (the same composition, built in this process) is in
    // the document the served process publishes; HEAD twins of GET routes are not described.
    const inProcess = await startTestApp('sqlite');
    try {
      const registered = inProcess.app.declaredRoutes
        .filter((route) => route.url.startsWith('/api/v1/'))
        .flatMap((route) => route.method.split(',').map((method) => `${method} ${route.url}`))
        .filter((route) => !route.startsWith('HEAD '));
      assert.ok(registered.includes('GET /api/v1/keys'), 'the key library is registered');
      assert.deepEqual(
        registered.filter((route) => !described.has(route)),
        [],
        'every API route is described',
      );
    } finally {
      await inProcess.close();
    }
    const outsideApi = Object.keys(paths).filter((path) => !path.startsWith('/api/'));
    assert.deepEqual(outsideApi, [], 'only the API is described, not the web app');

    const page = await fetch(`${server.url}/api/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });

  it('serves the web app for its pages and a JSON 404 for unknown API paths', async () => {
    for (const path of ['/', '/sign-in', '/keys/0190d5a0-0000-7000-8000-000000000000']) {
      const page = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/, path);
    }
    const missing = await fetch(`${server.url}/api/v1/no-such-thing`);
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as ErrorBody;
    assert.equal(body.error.code, 'not_found');
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });
});
