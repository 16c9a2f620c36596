import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keyholdBin, repoRoot } from '../support/cli.js';
import { randomKey, testPassword, type NewKey } from './key-library.js';
import { testServeEnv } from './serve-process.js';

/**
 * No loss under a crash: the server is killed with SIGKILL (no shutdown hook runs) while a
 * client is adding 1,000 keys. After a restart on the same data directory every key whose add was
 * answered with 2xx is there and reveals the password that was sent; no key is half-written.
 */

interface Server {
  child: ChildProcess;
  url: string;
}

function startServer(dataDir: string): Promise<Server> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [keyholdBin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
    { cwd: repoRoot, env: { ...process.env, ...testServeEnv, KEYHOLD_LOG_LEVEL: 'info' } },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keyhold serve did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      // Only the start is of interest; the request log would grow for every add.
      if (output.includes('serving on')) return;
      output += chunk.toString('utf8');
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      reject(new Error(`keyhold serve stopped (${code ?? signal}) before serving:\n${output}`));
    });
  });
}

function killHard(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.child.once('exit', () => {
      resolve();
    });
    server.child.kill('SIGKILL');
  });
}

/** The smallest client that keeps a browser cookie and the CSRF token, as the web app does. */
class Client {
  private cookie = '';
  private csrf = '';
  constructor(public url: string) {}

  async send(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf) headers['x-keyhold-csrf'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const parsed = (await response.json()) as { csrfToken?: unknown };
    if (typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
    return { status: response.status, body: parsed };
  }
}

const total = 1000;
const concurrency = 8;
const killAfterAnswered = 400;

describe('keys added before a crash', () => {
  let dataDir: string;
  let server: Server | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyhold-crash-'));
  });
  after(async () => {
    if (server?.child.exitCode === null && server.child.signalCode === null) {
      await killHard(server);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are all there after SIGKILL and a restart, and reveal what was sent', async () => {
    server = await startServer(dataDir);
    const client = new Client(server.url);
    const signup = await client.send('POST', '/api/v1/auth/signup', {
      email: 'crash@example.org',
      displayName: 'Crash',
      password: testPassword,
    });
    assert.equal(signup.status, 201);

    const keys: NewKey[] = Array.from({ length: total }, (_, i) =>
      randomKey({ deviceName: `PC-${i % 50}` }),
    );
    const acknowledged = new Set<NewKey>();
    let next = 0;
    let answered = 0;
    const running = server;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        try {
          const response = await client.send('POST', '/api/v1/keys', key);
          if (response.status >= 200 && response.status < 300) acknowledged.add(key);
        } catch {
          // The server is gone: this add was never acknowledged.
        }
        answered += 1;
        if (answered === killAfterAnswered) killed = killHard(running);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await killed;
    assert.ok(
      acknowledged.size >= killAfterAnswered - concurrency,
      `${acknowledged.size} acknowledged`,
    );
    assert.ok(acknowledged.size < total, 'the server was killed before the client finished');

    server = await startServer(dataDir);
    client.url = server.url;
    const stored = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page = await client.send(
        'GET',
        `/api/v1/keys?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200);
      const body = page.body as {
        items: { id: string; protectorId: string }[];
        nextCursor: string | null;
      };
      for (const item of body.items) stored.set(item.protectorId, item.id);
      cursor = body.nextCursor;
    } while (cursor);

    for (const key of acknowledged) {
      assert.ok(stored.has(key.protectorId), `acknowledged key ${key.protectorId} is missing`);
    }
    // Every stored key, acknowledged or caught mid-flight, is whole: it reveals what was sent.
    const sent = new Map(keys.map((key) => [key.protectorId, key.recoveryPassword]));
    for (const [protectorId, id] of stored) {
      const revealed = await client.send('POST', `/api/v1/keys/${id}/reveal`);
      assert.equal(revealed.status, 200);
      assert.equal(
        (revealed.body as { recoveryPassword: string }).recoveryPassword,
        sent.get(protectorId),
      );
    }
    assert.ok(stored.size <= acknowledged.size + concurrency);
  });
});
