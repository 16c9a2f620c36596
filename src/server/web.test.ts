import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { handleError } from './errors.js';
import { contentSecurityPolicy } from './security-headers.js';
import { defaultWebRoot, registerWebApp } from './web.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  app.get('/api/v1/ping', () => ({ pong: true }));
  await registerWebApp(app, { root });
  await app.ready();
  return app;
}

describe('web app serving', () => {
  let root: string;
  let app: FastifyInstance;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'keyhold-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1a2b.js"></script>',
    );
    writeFileSync(join(root, 'assets', 'app-1a2b.js'), 'console.log("app");');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await serve(root);
  });

  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the app at / and at deep links, with a strict CSP and no caching', async () => {
    for (const url of ['/', '/keys/0190a1b2-c3d4', '/help/back-up-recovery-key?x=1']) {
      const response = await app.inject({ url, headers: html });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.body, /<div id="root">/, url);
      assert.equal(response.headers['content-security-policy'], contentSecurityPolicy);
      assert.equal(response.headers['cache-control'], 'no-cache');
    }
    assert.match(contentSecurityPolicy, /script-src 'self';/);
    assert.doesNotMatch(contentSecurityPolicy, /unsafe-inline|unsafe-eval/);
  });

  it('keeps /api answers as JSON, including a 404 for unknown API paths', async () => {
    const ping = await app.inject({ url: '/api/v1/ping', headers: html });
    assert.deepEqual(ping.json(), { pong: true });
    for (const url of ['/api/v1/nothing', '/api', '/api/']) {
      const missing = await app.inject({ url, headers: html });
      assert.equal(missing.statusCode, 404, url);
      assert.equal(missing.json<{ error: { code: string } }>().error.code, 'not_found');
    }
  });

  it('serves hashed assets for a year and answers 404 (not the page) for missing ones', async () => {
    const asset = await app.inject('/assets/app-1a2b.js');
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.match(String(asset.headers['cache-control']), /max-age=31536000.*immutable/);
    const missing = await app.inject({ url: '/assets/gone-0000.js', headers: html });
    assert.equal(missing.statusCode, 404);
    const favicon = await app.inject('/favicon.svg');
    assert.equal(favicon.statusCode, 200);
    assert.match(String(favicon.headers['content-type']), /svg/);
  });

  it('answers non-HTML requests for unknown paths with a JSON 404', async () => {
    const response = await app.inject({
      url: '/keys/abc',
      headers: { accept: 'application/json' },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'not_found');
    const post = await app.inject({ method: 'POST', url: '/keys', headers: html });
    assert.equal(post.statusCode, 404);
  });

  it('says how to build the app when it is not built, and keeps the API working', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'keyhold-web-empty-'));
    const unbuilt = await serve(empty);
    try {
      const page = await unbuilt.inject({ url: '/', headers: html });
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /npm run build:web/);
      const api = await unbuilt.inject({ url: '/api/v1/ping' });
      assert.deepEqual(api.json(), { pong: true });
    } finally {
      await unbuilt.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the built web app', () => {
  it('builds when stale and loads nothing inline, so the CSP lets it run', () => {
    const build = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts', 'build-web-if-stale.js')],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    assert.equal(build.status, 0, build.stderr);
    const index = readFileSync(join(defaultWebRoot, 'index.html'), 'utf8');
    const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'index.html loads the app');
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /\bsrc="\/assets\//);
      assert.equal(body?.trim(), '');
    }
    assert.doesNotMatch(index, /<style\b|\sstyle="/);
  });
});
