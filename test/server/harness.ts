import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { SignedIn } from '../../src/api/auth.js';
import { buildApp } from '../../src/server/app.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import { createServerContext, type ServerContext } from '../../src/server/context.js';
import type { DialectName } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/** Cheap but real argon2id, so suites running side by side on two cores stay quick. */
export const testArgon2 = { argon2MemoryKib: 1024, argon2Iterations: 1 } as const;

/**
 * A clock tests can move forward (session expiry, lock-outs, TOTP steps). Each reading moves it
 * on by a millisecond, as real time would, so events keep their order.
 */
export class TestClock {
  constructor(private current = new Date()) {}
  now = (): Date => {
    this.current = new Date(this.current.getTime() + 1);
    return new Date(this.current);
  };
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp {
  app: FastifyInstance;
  ctx: ServerContext;
  config: Config;
  testDb: TestDatabase;
  clock: TestClock;
  /** Everything the server logged, as text. */
  log: () => string;
  close(): Promise<void>;
}

export async function startTestApp(
  kind: DialectName,
  { flags = {}, logLevel = 'silent' }: { flags?: Record<string, unknown>; logLevel?: string } = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase(kind);
  const config = loadConfig(
    {
      dataDir: testDb.dataDir,
      databaseUrl: testDb.databaseUrl,
      logLevel,
      ...testArgon2,
      ...flags,
    },
    {},
  );
  const clock = new TestClock();
  const ctx = await createServerContext(config, { now: clock.now });
  let logged = '';
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString('utf8');
      done();
    },
  });
  const app = await buildApp({ config, context: ctx, logStream });
  return {
    app,
    ctx,
    config,
    testDb,
    clock,
    log: () => logged,
    close: async () => {
      await app.close();
      await ctx.close();
      await testDb.cleanup();
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: LightMyRequestResponse['headers'];
}

/**
 * Talks to the app the way a browser running the web app does: keeps its cookies, sends the CSRF
 * token it was given and, when asked, the account header.
 */
export class TestBrowser {
  cookies = new Map<string, string>();
  csrfToken: string | undefined;

  /** Each browser comes from its own address, as people do, so per-IP limits stay apart. */
  readonly ipAddress = `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;

  constructor(
    private readonly app: FastifyInstance,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  ) {}

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    {
      body,
      account,
      headers = {},
    }: { body?: unknown; account?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const sent: Record<string, string> = { 'user-agent': this.userAgent, ...headers };
    if (this.cookies.size > 0) {
      sent.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (this.csrfToken && method !== 'GET') sent['x-keyhold-csrf'] ??= this.csrfToken;
    if (account) sent['x-keyhold-account'] = account;
    const options: InjectOptions = { method, url, headers: sent, remoteAddress: this.ipAddress };
    if (body !== undefined) options.payload = body as InjectOptions['payload'];
    const response = await this.app.inject(options);
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number }[]) {
      if (cookie.value === '' || cookie.maxAge === 0) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const text = response.body;
    const parsed = (text ? JSON.parse(text) : null) as T;
    const token = (parsed as { csrfToken?: unknown } | null)?.csrfToken;
    if (typeof token === 'string') this.csrfToken = token;
    return { status: response.statusCode, body: parsed, headers: response.headers };
  }

  async signup(email: string, password: string, displayName = email.split('@')[0] ?? email) {
    const response = await this.request<SignedIn>('POST', '/api/v1/auth/signup', {
      body: { email, password, displayName },
    });
    if (response.status !== 201) {
      throw new Error(`signup failed: ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body.account.id;
  }

  signin(email: string, password: string) {
    return this.request<{ status: string; account?: { id: string }; challenge?: string }>(
      'POST',
      '/api/v1/auth/signin',
      { body: { email, password } },
    );
  }
}

/**
 * Connects a command-line client to `browser`'s account as `keyhold login` does (device
 * authorization, approved in the browser) and returns the client's bearer token.
 */
export async function connectDevice(
  server: Pick<TestApp, 'app' | 'clock'>,
  browser: TestBrowser,
  deviceName = 'kari-laptop',
): Promise<string> {
  const client = new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
  const codes = await client.request<{ device_code: string; user_code: string }>(
    'POST',
    '/api/v1/device/authorize',
    { body: { client_id: 'keyhold-cli', scope: 'keys', device_name: deviceName } },
  );
  const approved = await browser.request('POST', '/api/v1/device/approve', {
    body: { userCode: codes.body.user_code, approve: true },
  });
  if (approved.status !== 200) throw new Error(`approval failed: ${approved.status}`);
  server.clock.advance(5_000);
  const issued = await client.request<{ access_token: string }>('POST', '/api/v1/device/token', {
    body: {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: codes.body.device_code,
      client_id: 'keyhold-cli',
    },
  });
  if (issued.status !== 200) throw new Error(`no token: ${JSON.stringify(issued.body)}`);
  return issued.body.access_token;
}
