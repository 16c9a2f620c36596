import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { SignedIn } from '../../src/api/auth.js';
import { testPassword } from '../server/key-library.js';
import { keyholdBin, repoRoot, type CliResult } from './cli.js';

export interface Reply<T> {
  status: number;
  body: T;
}

/**
 * A person signed in to a running `keyhold serve` as the web app is: keeps the browser cookie and
 * sends the CSRF token with every change.
 */
export class SignedInBrowser {
  private cookie = '';
  private csrfToken = '';
  accountId = '';

  constructor(private readonly url: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') headers['x-keyhold-csrf'] = this.csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : null) as T;
    const token = (parsed as { csrfToken?: unknown } | null)?.csrfToken;
    if (typeof token === 'string') this.csrfToken = token;
    return { status: response.status, body: parsed };
  }

  async signup(email: string, displayName: string): Promise<void> {
    const response = await this.request<SignedIn>('POST', '/api/v1/auth/signup', {
      email,
      displayName,
      password: testPassword,
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    this.accountId = response.body.account.id;
  }

  async addKey(protectorId: string, recoveryPassword: string): Promise<void> {
    const added = await this.request('POST', '/api/v1/keys', {
      protectorId,
      recoveryPassword,
      deviceName: 'OLA-PC',
      volume: { label: 'D:', type: 'fixed' },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  }
}

/**
 * `keyhold login` as a person runs it: the code is read off its output while it waits, to be
 * approved (or denied) in the browser.
 */
export function startLogin(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [keyholdBin, 'login', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const userCode = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // The English or the Bokmål instructions (KEYHOLD_LANG=nb).
      const match = /(?:enter the code|skriv inn koden):\s+([A-Z]{4}-[A-Z]{4})/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('close', () => {
      reject(new Error(`login ended without a code:\n${stderr}`));
    });
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { userCode, done, stderr: () => stderr };
}

/** Runs `keyhold login` against `server` and approves its code as `browser`. */
export async function logIn(
  server: string,
  browser: SignedInBrowser,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const login = startLogin([server], env);
  const approved = await browser.request('POST', '/api/v1/device/approve', {
    userCode: await login.userCode,
    approve: true,
  });
  assert.equal(approved.status, 200);
  const result = await login.done;
  assert.equal(result.code, 0, result.stderr);
}
