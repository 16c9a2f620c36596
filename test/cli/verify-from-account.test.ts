import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testPassword } from '../server/key-library.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { keyholdBin, repoRoot, runKeyhold, type CliResult } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage } from './volume-corpus.js';

const skip = corpusSkip();

interface Reply<T> {
  status: number;
  body: T;
}

/** A person signed in to the web app: the session cookie and CSRF token, as the browser keeps them. */
class SignedInBrowser {
  private cookie = '';
  private csrfToken = '';

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

/** Runs `keyhold login` and approves the code it shows in the signed-in browser. */
async function logIn(server: string, browser: SignedInBrowser, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [keyholdBin, 'login', server], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stderr = '';
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, stdout: '', stderr });
    });
  });
  const userCode = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /enter the code:\s+([A-Z]{4}-[A-Z]{4})/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('close', () => {
      reject(new Error(`login ended without a code:\n${stderr}`));
    });
  });
  const approved = await browser.request('POST', '/api/v1/device/approve', {
    userCode,
    approve: true,
  });
  assert.equal(approved.status, 200);
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
}

describe('keyhold verify --from-account', { skip }, () => {
  const roots: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-verify-account-'));
    roots.push(dir);
    return dir;
  };
  const env = { XDG_CONFIG_HOME: freshDir() };
  let server: ServeProcess;
  let ola: SignedInBrowser;

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
    ola = new SignedInBrowser(server.url);
    const signup = await ola.request('POST', '/api/v1/auth/signup', {
      email: 'ola@example.org',
      displayName: 'Ola Nordmann',
      password: testPassword,
    });
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    await logIn(server.url, ola, env);
  });
  after(async () => {
    await server.stop();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches the key by its 8-character Key ID, names the protector it opens, and is audited', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const protectorId = xts.recoveryProtectorId?.toUpperCase() ?? '';
    const recoveryPassword = xts.recoveryPassword ?? '';
    await ola.addKey(protectorId, recoveryPassword);

    const result = await runKeyhold(['verify', xts.path, '--from-account', '64311DEA'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^opens ${protectorId} \\(recovery-password\\) on volume ${xts.guid}`, 'im'),
    );
    for (const block of recoveryPassword.split('-')) {
      assert.ok(!`${result.stdout}${result.stderr}`.includes(block), 'the password is not shown');
    }

    const audit = await ola.request<{ events: { action: string; details: { keyId?: string } }[] }>(
      'GET',
      '/api/v1/audit',
    );
    const reveals = audit.body.events.filter((event) => event.action === 'key_revealed');
    assert.equal(reveals.length, 1, JSON.stringify(audit.body.events));
  });

  it('answers exit 1 when the account holds a key that does not open the volume', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const other = corpusImage('bitlk-aes-xts-256');
    const otherId = other.recoveryProtectorId?.toUpperCase() ?? '';
    await ola.addKey(otherId, other.recoveryPassword ?? '');

    const result = await runKeyhold(
      ['verify', xts.path, '--from-account', otherId, '--account', 'ola@example.org', '--json'],
      { env },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /this key does not open this volume/);
    const json = JSON.parse(result.stdout) as { opens: boolean; fromAccount: string };
    assert.equal(json.opens, false);
    assert.equal(json.fromAccount, 'ola@example.org');
    assert.ok(!result.stdout.includes(other.recoveryPassword ?? ''));
  });

  it('lists the keys a prefix matches (exit 2) and says when no account holds the Key ID (exit 1)', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const twins = ['ABCDEF12-0000-4000-8000-000000000001', 'ABCDEF12-0000-4000-8000-000000000002'];
    for (const id of twins) await ola.addKey(id, xts.recoveryPassword ?? '');

    const several = await runKeyhold(['verify', xts.path, '--from-account', 'abcdef12'], { env });
    assert.equal(several.code, 2);
    assert.match(several.stderr, /matches 2 keys/);
    for (const id of twins) assert.ok(several.stderr.includes(id), several.stderr);

    const none = await runKeyhold(['verify', xts.path, '--from-account', '0BADC0DE'], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No logged-in account holds a key with Key ID 0BADC0DE/);
  });

  it('tells a person who is not logged in to run keyhold login (exit 2)', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const result = await runKeyhold(['verify', xts.path, '--from-account', '64311DEA'], {
      env: { XDG_CONFIG_HOME: freshDir() },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not logged in.*Run: keyhold login <server>/);
  });
});
