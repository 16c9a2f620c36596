/**
 * The load generator the server benchmarks share: keep-alive HTTP/1.1 requests from a process of
 * its own (this file, run with `--load <spec>`), so it never shares a core's time slices with the
 * server, reporting requests per second and p50/p99 latency.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyToRecoveryPassword } from '../../src/bitlocker/recovery-password.js';

const root = join(import.meta.dirname, '..', '..');
const self = import.meta.filename;

/**
 * `health` is Keyhold's floor: GET /healthz passes every hook and security header but reads no
 * database. `signed-in` is the cheapest signed-in request (GET /api/v1/auth/me): what every key request
 * pays before the key library runs (browser cookie, session, account selection).
 */
export type Scenario = 'hello' | 'health' | 'signed-in' | 'search' | 'list' | 'add' | 'reveal';

export interface LoadSpec {
  url: string;
  scenario: Scenario;
  seconds: number;
  warmUpSeconds: number;
  connections: number;
  headers: Record<string, string>;
  /** A file with sampled keys: `id protectorHex` per line (search and reveal pick from them). */
  samples: string | undefined;
  /** The key library the key scenarios use: `/api/v1/keys` (the default) or an organisation's. */
  keysPath?: string;
}

export interface LoadResult {
  requests: number;
  /** Including the warm-up, for the server's CPU time per request. */
  allRequests: number;
  /** The server's CPU time (user and system) per request, in microseconds. */
  cpuPerRequest?: number;
  /** PostgreSQL's CPU time (its backends for the server's database) per request, in microseconds. */
  postgresCpuPerRequest?: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  statuses: Record<string, number>;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

export async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const samples = spec.samples
    ? readFileSync(spec.samples, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string])
    : [];
  const pick = () => samples[Math.floor(Math.random() * samples.length)] ?? ['', ''];
  const keys = spec.keysPath ?? '/api/v1/keys';
  const next = (): { method: string; path: string; body?: string } => {
    switch (spec.scenario) {
      case 'hello':
        return { method: 'GET', path: '/' };
      case 'health':
        return { method: 'GET', path: '/healthz' };
      case 'signed-in':
        return { method: 'GET', path: '/api/v1/auth/me' };
      case 'search':
        return { method: 'GET', path: `${keys}?q=${pick()[1].slice(0, 8)}` };
      case 'list':
        return { method: 'GET', path: `${keys}?limit=50` };
      case 'reveal':
        return { method: 'POST', path: `${keys}/${pick()[0]}/reveal` };
      case 'add':
        return {
          method: 'POST',
          path: keys,
          body: JSON.stringify({
            protectorId: randomUUID(),
            recoveryPassword: keyToRecoveryPassword(randomBytes(16)),
            deviceName: `BENCH-${Math.floor(Math.random() * 1000)}`,
            volume: { label: 'C:', type: 'os' },
          }),
        };
    }
  };
  const send = () =>
    new Promise<number>((resolve, reject) => {
      const { method, path, body } = next();
      const headers: Record<string, string | number> = { ...spec.headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const outgoing = request(
        { agent, host: target.hostname, port: target.port, method, path, headers },
        (response) => {
          response.resume();
          response.on('end', () => {
            resolve(response.statusCode ?? 0);
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failures = 0;
  let allRequests = 0;
  const start = performance.now();
  const measureFrom = start + spec.warmUpSeconds * 1000;
  const end = measureFrom + spec.seconds * 1000;
  const worker = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      let status: number;
      try {
        status = await send();
      } catch {
        status = 0;
      }
      const done = performance.now();
      allRequests += 1;
      if (now < measureFrom) continue;
      latencies.push(done - now);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) failures += 1;
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    allRequests,
    perSecond: latencies.length / spec.seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    failures,
    statuses,
  };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', self, '--load', JSON.stringify(spec)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(output) as LoadResult);
      else reject(new Error(`the load generator exited with ${code}`));
    });
  });
}

if (process.argv[1] === self && process.argv[2] === '--load') {
  process.stdout.write(
    JSON.stringify(await generateLoad(JSON.parse(process.argv[3] ?? '{}') as LoadSpec)),
  );
}
