import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startTestApp, type TestApp } from '../../test/server/harness.js';
import { requirement } from '../../test/support/requirements.js';

const chromiumPath = '/usr/bin/chromium';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; tags?: string[] }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

describe('API description', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp('sqlite');
  });
  after(() => server.close());

  it('describes every endpoint of docs/api.md from the zod schemas, errors included', async () => {
    const response = await server.app.inject('/api/docs/json');
    assert.equal(response.statusCode, 200);
    const document = response.json<OpenApiDocument>();
    assert.equal(document.openapi, '3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const expected of [
      'POST /api/v1/auth/signup',
      'POST /api/v1/auth/identify',
      'POST /api/v1/auth/signin',
      'POST /api/v1/auth/signin/second-factor',
      'POST /api/v1/auth/signout',
      'GET /api/v1/auth/accounts',
      'DELETE /api/v1/auth/accounts/{accountId}',
      'GET /api/v1/auth/sessions',
      'DELETE /api/v1/auth/sessions',
      'DELETE /api/v1/auth/sessions/{id}',
      'GET /api/v1/auth/me',
      'POST /api/v1/auth/password',
      'POST /api/v1/auth/totp/enrol',
      'GET /api/v1/audit',
      'POST /api/v1/orgs/{orgId}/members',
    ]) {
      assert.ok(operations.includes(expected), `${expected} is described`);
    }
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        assert.ok(operation.responses['4XX'], `${method} ${path} documents its errors`);
      }
    }
    assert.ok(document.components.schemas.Account);
    assert.deepEqual(document.components.securitySchemes.browserCookie, {
      type: 'apiKey',
      in: 'cookie',
      name: 'keyhold-browser',
    });
  });

  it(
    'can be browsed at /api/docs under the strict content security policy',
    {
      skip: requirement(
        'browser',
        existsSync(chromiumPath) ? undefined : `Chromium is not installed at ${chromiumPath}`,
      ),
    },
    async () => {
      const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        await page.goto(`${address}/api/docs`);
        await page.getByText('Sign in with email and password').first().waitFor();
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    },
  );
});
