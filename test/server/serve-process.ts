import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { keyholdBin, repoRoot } from '../support/cli.js';

export interface ServeProcess {
  url: string;
  pid: number;
  /** Everything the process wrote so far. */
  output: () => string;
  /** SIGTERM (or the signal given, e.g. SIGINT for Ctrl-C), then the exit code once it has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Cheap argon2id for servers started by tests (see test/server/harness.ts). */
export const testServeEnv = { KEYHOLD_ARGON2_MEMORY_KIB: '1024', KEYHOLD_ARGON2_ITERATIONS: '1' };

/** Starts the compiled `keyhold serve` on a free port, as an operator would. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [keyholdBin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...testServeEnv, KEYHOLD_LOG_LEVEL: 'info', NO_COLOR: '1', ...env },
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`keyhold serve did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // "Keyhold is serving on URL", or in Bokmål (KEYHOLD_LANG=nb) "Keyhold kjører på URL".
      const match = /(?:serving on|kjører på) (https?:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          pid: child.pid ?? 0,
          output: () => output,
          stop: (signal) => stop(child, signal),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keyhold serve exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
    child.kill(signal);
  });
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A browser talking to servers started by tests, as the web app does: it keeps the browser
 * cookie and sends the CSRF token, whichever server answers. With `connectionPerRequest`, every
 * request opens a connection of its own, so a cluster hands them to its workers in turn.
 */
export class ServerBrowser {
  private cookie = '';
  private csrf = '';

  constructor(private readonly options: { connectionPerRequest?: boolean } = {}) {}

  call(server: ServeProcess, method: string, path: string, body?: unknown): Promise<Reply> {
    const url = new URL(path, server.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf) headers['x-keyhold-csrf'] = this.csrf;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          headers,
          ...(this.options.connectionPerRequest ? { agent: false } : {}),
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const token = /keyhold-browser=([^;]*)/.exec(
              String(response.headers['set-cookie'] ?? ''),
            )?.[1];
            if (token) this.cookie = `keyhold-browser=${token}`;
            const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
            if (typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }
}
