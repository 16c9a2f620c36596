import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { waitUntil } from '../support/wait.js';

/**
 * Attacks on the HTTP edge that only the real listener shows: slow senders, one address opening
 * every socket, weak TLS suites, and the files TLS is served from.
 */

interface Exchange {
  /** What the server wrote before the connection ended. */
  received: string;
  /** How much of what we meant to send had gone out when the server closed. */
  sentBytes: number;
}

/** Sends `head`, then `body` one byte every `intervalMs`, until the server closes. */
function dripRequest(url: string, head: string, body: string, intervalMs: number) {
  const { port } = new URL(url);
  return new Promise<Exchange>((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let sentBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sentBytes });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sentBytes < body.length && !socket.destroyed) socket.write(body[sentBytes++] ?? '');
      }, intervalMs);
    });
  });
}

function openSocket(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** One HTTP/1.1 GET of /healthz on a socket: the answer's status line, or '' if it was closed. */
function askHealth(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const done = () => {
      resolve(received.split('\r\n')[0] ?? '');
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.once('close', done);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

describe('slow senders (keyhold serve --workers 2 --request-timeout-seconds 2, trace log)', () => {
  let server: ServeProcess;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyhold-edge-'));
    server = await startServe(
      ['--data-dir', dataDir, '--workers', '2', '--request-timeout-seconds', '2'],
      { KEYHOLD_LOG_LEVEL: 'trace' },
    );
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('cuts off a body sent a byte at a time, in every worker', { timeout: 30_000 }, async () => {
    const body = JSON.stringify({ email: 'slow@example.org', password: 'x'.repeat(200) });
    const head =
      'POST /api/v1/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // A connection each, so the cluster hands them to both workers.
    const exchanges = await Promise.all(
      [0, 1, 2, 3].map(() => dripRequest(server.url, head, body, 200)),
    );
    for (const { received, sentBytes } of exchanges) {
      assert.ok(sentBytes < body.length, 'the whole body went out before the server gave up');
      assert.match(received, /^HTTP\/1\.1 408 /);
    }
  });

  it('closes a connection whose request headers never end', { timeout: 30_000 }, async () => {
    const { received, sentBytes } = await dripRequest(server.url, '', 'G'.repeat(1000), 1000);
    assert.ok(sentBytes < 1000);
    assert.doesNotMatch(received, /200 OK/);
  });

  it('keeps the bytes of a request it cannot parse out of the trace log', async () => {
    const socket = await openSocket(server.url);
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      socket.once('close', () => {
        resolve(received);
      });
      socket.write(
        'GET /api/v1/keys?q=424242-131313 HTTP/1.1\r\nHost: localhost\r\n' +
          'X-Keyhold-CSRF: csrf-token-that-must-stay-private\r\nNot a header\r\n\r\n',
      );
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    // The line is written as the error is handled; give the process a moment to flush it.
    await waitUntil(() => server.output().includes('client error'), 'the client error logged');
    const output = server.output();
    assert.doesNotMatch(output, /rawPacket|424242|csrf-token-that-must-stay-private/);
  });
});

describe('connections per address (keyhold serve --connections-per-address 4)', () => {
  let server: ServeProcess;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyhold-edge-'));
    server = await startServe(['--data-dir', dataDir, '--connections-per-address', '4']);
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes connections past the cap, and takes new ones once others close', async () => {
    const held = await Promise.all([1, 2, 3, 4].map(() => openSocket(server.url)));
    const extra = await openSocket(server.url);
    assert.equal(await askHealth(extra), '', 'a fifth connection was served');
    const [first, ...others] = held;
    assert.equal(await askHealth(first!), 'HTTP/1.1 200 OK');
    first!.destroy();
    // The server sees the close a moment later; from then on a new connection is served.
    let answer = '';
    for (let attempt = 0; attempt < 50 && answer === ''; attempt++) {
      answer = await askHealth(await openSocket(server.url));
    }
    assert.equal(answer, 'HTTP/1.1 200 OK');
    for (const socket of others) socket.destroy();
  });
});

describe('TLS (keyhold serve --tls-cert --tls-key)', () => {
  let server: ServeProcess;
  let folder: string;
  let dataDir: string;
  let cert: string;
  let key: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'keyhold-tls-'));
    cert = join(folder, 'cert.pem');
    key = join(folder, 'key.pem');
    // An RSA certificate: the suites the review found (AES128-SHA, AES256-SHA256) need RSA.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    await chmod(key, 0o600);
    // A data folder someone left open to everyone.
    dataDir = join(folder, 'data');
    execFileSync('mkdir', ['-m', '755', dataDir]);
    server = await startServe(['--data-dir', dataDir, '--tls-cert', cert, '--tls-key', key]);
  });
  after(async () => {
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  });

  function handshake(options: ConnectionOptions): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = connectTls({
        host: '127.0.0.1',
        port: Number(port),
        servername: 'localhost',
        rejectUnauthorized: false,
        ...options,
      });
      socket.once('secureConnect', () => {
        resolve(`${socket.getProtocol() ?? ''} ${socket.getCipher().standardName}`);
        socket.destroy();
      });
      socket.once('error', () => {
        resolve('refused');
      });
    });
  }

  it('serves HTTPS and warns about the open data folder', async () => {
    assert.match(server.url, /^https:/);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(
        `${server.url}/healthz`,
        { rejectUnauthorized: false, headers: { host: 'localhost' } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      )
        .on('error', reject)
        .end();
    });
    assert.equal(status, 200);
    assert.match(server.output(), /data folder .* is open to other users .*chmod 700/);
  });

  it('refuses suites without forward secrecy or with CBC and SHA-1, and TLS 1.1', async () => {
    for (const cipher of [
      'AES128-SHA',
      'AES256-SHA256',
      'ECDHE-RSA-AES128-SHA',
      'AES128-GCM-SHA256',
    ]) {
      const answer = await handshake({
        maxVersion: 'TLSv1.2',
        ciphers: `${cipher}@SECLEVEL=0`,
      });
      assert.equal(answer, 'refused', cipher);
    }
    const old = await handshake({
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    assert.equal(old, 'refused');
  });

  it('negotiates forward-secret AEAD suites on TLS 1.2 and TLS 1.3', async () => {
    assert.equal(
      await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }),
      'TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    );
    assert.match(await handshake({}), /^TLSv1\.3 TLS_/);
  });

  it('refuses a TLS key file other users can read, without a stack trace', async () => {
    const looseKey = join(folder, 'loose-key.pem');
    execFileSync('cp', [key, looseKey]);
    await chmod(looseKey, 0o644);
    await assert.rejects(
      startServe(['--data-dir', dataDir, '--tls-cert', cert, '--tls-key', looseKey]),
      (error: Error) => {
        assert.match(error.message, /exited with 3/);
        assert.match(error.message, /TLS key file .*loose-key\.pem can be read by other users/);
        assert.match(error.message, /chmod 600/);
        assert.doesNotMatch(error.message, /\n\s+at /);
        return true;
      },
    );
  });
});
