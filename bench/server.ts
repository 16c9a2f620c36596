/**
 * Key library throughput: `keyhold serve` with a large library (1,000,000 keys on SQLite and
 * on PostgreSQL) against a bare Fastify hello-world, both measured in the same run by a
 * load generator in its own process (keep-alive HTTP/1.1, 32 connections).
 *
 * Measures search by 8-character Key ID prefix, the first list page, add and reveal: requests per
 * second, p50 and p99 latency; prints the ratios to hello-world and the server's memory.
 * Targets (2 cores): search >= 40% of hello-world with p99 <= 20 ms; add and reveal >= 2,000/s on
 * SQLite; the server's private (anonymous) memory <= 300 MB with 1,000,000 keys (file-backed
 * pages, such as a memory-mapped database file, are printed apart). PostgreSQL: search >=
 * 4,000/s with p99 <= 20 ms, add >= 1,500/s, reveal >= 2,000/s, and server CPU per request at
 * most 1.5 times SQLite's in each scenario; a short pass through a counting relay prints the
 * statements each request sends to PostgreSQL.
 *
 * Keyhold runs as one process (`keyhold serve`, the default) and as one worker per core
 * (`--workers N`), each against the same library. The hello-world is measured both as one
 * process and as N, and the faster of the two is the baseline. Memory is the whole server
 * (supervisor and workers) with the code they share counted once (see watchMemory), sampled
 * through the run for its peak.
 *
 * Sizes and durations come from the environment so a quick run is possible:
 *   KEYHOLD_BENCH_KEYS=1000000  KEYHOLD_BENCH_PG_KEYS=1000000  KEYHOLD_BENCH_SECONDS=10
 *   KEYHOLD_BENCH_WORKERS=1,<cores>  KEYHOLD_BENCH_CONNECTIONS=32
 *   KEYHOLD_BENCH_DATABASE_URL=postgres://... (else
 *   KEYHOLD_TEST_DATABASE_URL; PostgreSQL is skipped when neither is set)
 *   KEYHOLD_BENCH_SCENARIOS=search,add (a subset)  KEYHOLD_BENCH_PROFILE_DIR=/tmp/profiles
 *   KEYHOLD_BENCH_LIBRARY_DIR=/tmp/library (SQLite: seed there once and reuse it on later runs of
 *   the same size; the add scenario grows it, so reused figures drift slightly)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as netConnect, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import { keyToRecoveryPassword } from '../src/bitlocker/recovery-password.js';
import { sealValue } from '../src/crypto/envelope.js';
import { loadKeyring } from '../src/crypto/master-key.js';
import { openDatabase, sqliteFileName, type Database } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { userOwner } from '../src/db/owners.js';
import type {
  DeviceTermsTable,
  DevicesTable,
  KeyBackupsTable,
  RecoveryKeysTable,
  SealedSecretsTable,
  VolumesTable,
} from '../src/db/schema.js';
import {
  nameTerms,
  normalizeName,
  recoveryPasswordKind,
} from '../src/server/features/keys/index.js';
import { childProcessesOf } from '../test/support/processes.js';

const root = join(import.meta.dirname, '..');
const self = import.meta.filename;

/**
 * `health` is Keyhold's floor: GET /healthz passes every hook and security header but reads no
 * database. `signed-in` is the cheapest signed-in request (GET /api/v1/auth/me): what every key request
 * pays before the key library runs (browser cookie, session, account selection).
 */
type Scenario = 'hello' | 'health' | 'signed-in' | 'search' | 'list' | 'add' | 'reveal';
const libraryScenarios = ['health', 'signed-in', 'search', 'list', 'add', 'reveal'] as const;

interface LoadSpec {
  url: string;
  scenario: Scenario;
  seconds: number;
  warmUpSeconds: number;
  connections: number;
  headers: Record<string, string>;
  /** A file with sampled keys: `id protectorHex` per line (search and reveal pick from them). */
  samples: string | undefined;
}

interface LoadResult {
  requests: number;
  /** Including the warm-up, for the server's CPU time per request. */
  allRequests: number;
  /** The server's CPU time (user and system) per request, in microseconds. */
  cpuPerRequest?: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  statuses: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// The load generator (its own process, so it never shares a core's time slices with the server)

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const samples = spec.samples
    ? readFileSync(spec.samples, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string])
    : [];
  const pick = () => samples[Math.floor(Math.random() * samples.length)] ?? ['', ''];
  const next = (): { method: string; path: string; body?: string } => {
    switch (spec.scenario) {
      case 'hello':
        return { method: 'GET', path: '/' };
      case 'health':
        return { method: 'GET', path: '/healthz' };
      case 'signed-in':
        return { method: 'GET', path: '/api/v1/auth/me' };
      case 'search':
        return { method: 'GET', path: `/api/v1/keys?q=${pick()[1].slice(0, 8)}` };
      case 'list':
        return { method: 'GET', path: '/api/v1/keys?limit=50' };
      case 'reveal':
        return { method: 'POST', path: `/api/v1/keys/${pick()[0]}/reveal` };
      case 'add':
        return {
          method: 'POST',
          path: '/api/v1/keys',
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

function runLoad(spec: LoadSpec): Promise<LoadResult> {
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

// ---------------------------------------------------------------------------------------------
// Servers

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

interface Running {
  child: ChildProcess;
  url: string;
}

async function waitUntilServing(child: ChildProcess, url: string, path: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}${path}`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not start`);
}

async function startHelloWorld(workers: number): Promise<Running> {
  const port = await freePort();
  const args = ['--import', 'tsx', self, '--hello', String(port), String(workers)];
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(child, url, '/');
  return { child, url };
}

async function serveHelloWorld(port: number, workers: number): Promise<void> {
  if (workers > 1 && cluster.isPrimary) {
    for (let n = 0; n < workers; n++) cluster.fork();
    process.once('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      process.exit(0);
    });
    return;
  }
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/', () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port });
}

async function startKeyhold(
  dataDir: string,
  databaseUrl: string | undefined,
  workers: number,
): Promise<Running> {
  const port = await freePort();
  // KEYHOLD_BENCH_PROFILE_DIR: the server writes a V8 CPU profile there when it stops.
  const profileDir = process.env.KEYHOLD_BENCH_PROFILE_DIR;
  const args = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  args.push(join(root, 'bin', 'keyhold.js'), 'serve', '--port', String(port));
  args.push('--data-dir', dataDir, '--log-level', 'warn', '--workers', String(workers));
  if (databaseUrl) args.push('--database-url', databaseUrl);
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(child, url, '/healthz');
  return { child, url };
}

function stop(running: Running): Promise<void> {
  return new Promise((resolve) => {
    if (running.child.exitCode !== null) {
      resolve();
      return;
    }
    running.child.once('exit', () => {
      resolve();
    });
    running.child.kill('SIGTERM');
  });
}

/**
 * A TCP relay in front of PostgreSQL that counts the statements sent through it: each Execute
 * message of the extended protocol and each simple Query is one. Used for a short pass of its
 * own (the relay adds latency), so the timed passes talk to PostgreSQL directly.
 */
async function startStatementCounter(
  databaseUrl: string,
): Promise<{ url: string; count: () => number; close: () => void }> {
  const target = new URL(databaseUrl);
  let statements = 0;
  const server = createServer((client) => {
    const upstream = netConnect(Number(target.port || 5432), target.hostname);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // The startup message has no type byte; every later message is type, length, body.
      for (;;) {
        const header = started ? 5 : 4;
        if (pending.length < header) break;
        const length = pending.readInt32BE(started ? 1 : 0) + (started ? 1 : 0);
        if (pending.length < length) break;
        if (started) {
          const type = String.fromCharCode(pending[0] ?? 0);
          if (type === 'E' || type === 'Q') statements += 1;
        }
        started = true;
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return { url: url.toString(), count: () => statements, close: () => server.close() };
}

/** A server's processes: the one started and the workers it started (Linux). */
function processesOf(pid: number | undefined): number[] {
  return pid === undefined ? [] : [pid, ...childProcessesOf(pid)];
}

/** CPU time a server has used so far, user and system, in microseconds (Linux). */
function cpuTimeOf(pid: number | undefined): number {
  let total = 0;
  for (const each of processesOf(pid)) {
    // Fields 14 and 15 of /proc/<pid>/stat, counted from after the command name's closing ')'.
    const stat = readFileSync(`/proc/${each}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;
    total += ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
  }
  return total;
}

/** Runs a load against a server and adds the server's CPU time per request. */
async function measure(server: Running, spec: LoadSpec): Promise<LoadResult> {
  const cpuBefore = cpuTimeOf(server.child.pid);
  const result = await runLoad(spec);
  const cpuUsed = cpuTimeOf(server.child.pid) - cpuBefore;
  return { ...result, cpuPerRequest: cpuUsed / Math.max(1, result.allRequests) };
}

interface ServerMemory {
  /** Resident memory of the whole server now and at the highest sample, in MB. */
  resident: number;
  peak: number;
  /**
   * The part of `resident` that is the server's own (anonymous: heaps, stacks, caches), now
   * and at its peak; the rest is file-backed (code, and the database file when it is
   * memory-mapped), which the kernel can drop and read again at any time.
   */
  anonymous: number;
  anonymousPeak: number;
  /** Each process's own RSS now, in MB (shared code counted in each). */
  rssPerProcess: number[];
}

/**
 * Samples a server's memory while it runs: the RSS of its largest process, which holds all of
 * the code the others share with it (Node, its libraries, the SQLite driver), plus the private
 * pages of every other process. Summing RSS would count the shared code once per process; PSS
 * would split it with unrelated Node processes too (the load generator), and so flatter.
 * One process is simply its RSS, and its peak the kernel's high-water mark.
 */
function watchMemory(pid: number | undefined): { stop: () => ServerMemory } {
  const kilobytes = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  const sample = () => {
    const processes: { rss: number; private: number; anonymous: number; highWater: number }[] = [];
    for (const each of processesOf(pid)) {
      try {
        const rollup = readFileSync(`/proc/${each}/smaps_rollup`, 'utf8');
        const status = readFileSync(`/proc/${each}/status`, 'utf8');
        processes.push({
          rss: kilobytes(rollup, 'Rss'),
          private: kilobytes(rollup, 'Private_Clean') + kilobytes(rollup, 'Private_Dirty'),
          anonymous: kilobytes(rollup, 'Anonymous'),
          highWater: kilobytes(status, 'VmHWM'),
        });
      } catch {
        // Exited between the listing and the read.
      }
    }
    let largest = processes[0];
    for (const each of processes) if (each.rss > (largest?.rss ?? 0)) largest = each;
    let resident = 0;
    for (const each of processes) resident += each === largest ? each.rss : each.private;
    const highWater = processes.length === 1 ? (largest?.highWater ?? 0) : 0;
    let anonymous = 0;
    for (const each of processes) anonymous += each.anonymous;
    return { resident, highWater, anonymous, rssPerProcess: processes.map((each) => each.rss) };
  };
  let peak = 0;
  let anonymousPeak = 0;
  const record = () => {
    const now = sample();
    peak = Math.max(peak, now.resident, now.highWater);
    anonymousPeak = Math.max(anonymousPeak, now.anonymous);
    return now;
  };
  record();
  const timer = setInterval(record, 250);
  return {
    stop: () => {
      clearInterval(timer);
      const { resident, anonymous, rssPerProcess } = record();
      return { resident, peak, anonymous, anonymousPeak, rssPerProcess };
    },
  };
}

const benchAccount = { email: 'bench@example.org', password: 'violet tractor umbrella' };

/**
 * Signs up the bench account (or signs in to it, in a reused library); returns the headers the
 * web app would send as it.
 */
async function signIn(
  url: string,
  newAccount: boolean,
): Promise<{ accountId: string; headers: Record<string, string> }> {
  const response = await fetch(`${url}/api/v1/auth/${newAccount ? 'signup' : 'signin'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(newAccount ? { ...benchAccount, displayName: 'Bench' } : benchAccount),
  });
  if (!response.ok) throw new Error(`signing in the bench account: HTTP ${response.status}`);
  const body = (await response.json()) as { account: { id: string }; csrfToken: string };
  const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
  return {
    accountId: body.account.id,
    headers: { cookie, 'x-keyhold-csrf': body.csrfToken, 'x-keyhold-account': body.account.id },
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding: realistic rows written in bulk, straight into the database

/**
 * A name like the ones Windows gives new PCs (DESKTOP- and 7 letters or digits), distinct for
 * every n: multiplying by a number coprime to 36^7 permutes the 7-character space.
 */
function windowsStyleName(n: number): string {
  const space = 36 ** 7;
  return `DESKTOP-${((n * 2_654_435_761) % space).toString(36).toUpperCase().padStart(7, '0')}`;
}

/**
 * `count` keys for one account, on count/2 devices with an OS and a data volume each, each key
 * with its recovery password sealed exactly as the server seals it and its "account" backup.
 * Writes `id protectorHex` of every 100th key to `samplesFile`.
 */
async function seedLibrary(
  database: Database,
  dataDir: string,
  accountId: string,
  count: number,
  samplesFile: string,
): Promise<void> {
  const masterKey = loadKeyring({ dataDir }).keyring.current();
  const owner = userOwner(accountId);
  const ownerColumns = { owner_user_id: accountId, owner_org_id: null };
  const batchSize = 2000;
  if (database.dialect === 'sqlite') {
    // This connection only: a large page cache keeps the randomly ordered Key ID index in memory
    // while it grows, and a crash while seeding costs nothing but a re-run.
    await sql`pragma cache_size = -1048576`.execute(database.db);
    await sql`pragma synchronous = off`.execute(database.db);
  }
  const samples: string[] = [];
  const started = Date.now() - count * 60_000;
  const progressEvery = Math.max(batchSize, Math.floor(count / 10 / batchSize) * batchSize);
  for (let first = 0; first < count; first += batchSize) {
    const devices: DevicesTable[] = [];
    const terms: DeviceTermsTable[] = [];
    const volumes: VolumesTable[] = [];
    const keys: RecoveryKeysTable[] = [];
    const backups: KeyBackupsTable[] = [];
    const secrets: SealedSecretsTable[] = [];
    for (let i = first; i < Math.min(count, first + batchSize); i += 2) {
      const createdMs = started + i * 60_000;
      const at = new Date(createdMs).toISOString();
      const deviceId = newId(createdMs);
      const name = windowsStyleName(i / 2);
      devices.push({
        id: deviceId,
        ...ownerColumns,
        name,
        name_normalized: normalizeName(name),
        assigned_user_id: null,
        last_seen_at: at,
        created_at: at,
        updated_at: at,
      });
      for (const term of nameTerms(name))
        terms.push({ device_id: deviceId, ...ownerColumns, term });
      for (const [offset, label, type] of [
        [0, 'C:', 'os'],
        [1, 'D:', 'fixed'],
      ] as const) {
        if (i + offset >= count) break;
        const keyAt = new Date(createdMs + offset * 60_000).toISOString();
        const volumeId = newId(createdMs);
        volumes.push({
          id: volumeId,
          ...ownerColumns,
          device_id: deviceId,
          label,
          type,
          volume_guid: null,
          protector_types: null,
          created_at: keyAt,
          updated_at: keyAt,
        });
        const keyId = newId(createdMs + offset * 60_000);
        const protectorHex = randomBytes(16).toString('hex').toUpperCase();
        keys.push({
          id: keyId,
          ...ownerColumns,
          protector_hex: protectorHex,
          kind: 'bitlocker' as const,
          luks_uuid_hex: null,
          luks_slot: null,
          volume_id: volumeId,
          source: 'manual',
          backup_count: 1,
          last_backup_destination: 'account' as const,
          last_backup_at: keyAt,
          offline_backup_at: null,
          in_vault_at: null,
          deleted_at: null,
          created_at: keyAt,
          updated_at: keyAt,
          rotation_required_at: null,
          proven_at: null,
        });
        backups.push({
          id: newId(createdMs),
          key_id: keyId,
          destination: 'account' as const,
          note: null,
          actor_user_id: accountId,
          at: keyAt,
        });
        const secretId = newId(createdMs);
        const password = keyToRecoveryPassword(randomBytes(16));
        const sealed = sealValue(
          masterKey,
          { secretId, kind: recoveryPasswordKind, boundId: keyId, owner },
          Buffer.from(password, 'utf8'),
        );
        secrets.push({
          id: secretId,
          ...ownerColumns,
          kind: recoveryPasswordKind,
          bound_id: keyId,
          key_version: sealed.keyVersion,
          wrapped_key: sealed.wrappedKey,
          ciphertext: sealed.ciphertext,
          created_at: keyAt,
          updated_at: keyAt,
        });
        if ((i + offset) % 100 === 0) samples.push(`${keyId} ${protectorHex}`);
      }
    }
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('devices').values(devices).execute();
      await trx.insertInto('device_terms').values(terms).execute();
      await trx.insertInto('volumes').values(volumes).execute();
      await trx.insertInto('recovery_keys').values(keys).execute();
      await trx.insertInto('key_backups').values(backups).execute();
      await trx.insertInto('sealed_secrets').values(secrets).execute();
    });
    if ((first + batchSize) % progressEvery === 0) {
      process.stdout.write(`  seeded ${Math.min(count, first + batchSize).toLocaleString('en')}\r`);
    }
  }
  writeFileSync(samplesFile, `${samples.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------
// The run

const targets = {
  searchShare: 0.4,
  searchP99: 20,
  writesPerSecond: 2000,
  rssMb: 300,
  postgresSearch: 4000,
  postgresAdd: 1500,
  postgresReveal: 2000,
  postgresCpuRatio: 1.5,
};

interface Measured {
  scenario: Scenario;
  result: LoadResult;
}

function memoryLine(memory: ServerMemory): string {
  const each = memory.rssPerProcess.map((mb) => mb.toFixed(0)).join(' + ');
  return (
    `  server memory: ${memory.anonymous.toFixed(0)} MB private (anonymous), peak ` +
    `${memory.anonymousPeak.toFixed(0)} MB; ${memory.resident.toFixed(0)} MB resident with ` +
    `file-backed pages, peak ${memory.peak.toFixed(0)} MB ` +
    `(RSS of each process, shared code in each: ${each} MB)`
  );
}

function line(name: string, result: LoadResult, hello: LoadResult | undefined): string {
  const ratio = hello
    ? ` ${((result.perSecond / hello.perSecond) * 100).toFixed(0).padStart(3)}% of hello`
    : '';
  const failed =
    result.failures > 0 ? `  (${result.failures} non-2xx: ${JSON.stringify(result.statuses)})` : '';
  return (
    `  ${name.padEnd(22)} ${result.perSecond.toFixed(0).padStart(7)} req/s  ` +
    `p50 ${result.p50.toFixed(2).padStart(6)} ms  p99 ${result.p99.toFixed(2).padStart(6)} ms  ` +
    `cpu ${(result.cpuPerRequest ?? Number.NaN).toFixed(0).padStart(4)} us/req${ratio}${failed}`
  );
}

interface Configuration {
  workers: number;
  measured: Measured[];
  memory: ServerMemory;
}

/** Seeds a library once, then measures every scenario with each number of workers. */
async function measureLibrary(options: {
  label: string;
  keys: number;
  databaseUrl: string | undefined;
  seconds: number;
  connections: number;
  hello: LoadResult;
  scenarios: readonly Scenario[];
  workerCounts: readonly number[];
}): Promise<Configuration[]> {
  const keptDir = options.databaseUrl ? undefined : process.env.KEYHOLD_BENCH_LIBRARY_DIR;
  const dataDir = keptDir ?? mkdtempSync(join(tmpdir(), 'keyhold-bench-'));
  const samplesFile = join(dataDir, 'samples.txt');
  const reused = keptDir !== undefined && reuseKeptLibrary(keptDir, options.keys);
  try {
    const first = await startKeyhold(dataDir, options.databaseUrl, 1);
    const { accountId, headers } = await signIn(first.url, !reused);
    await stop(first);

    if (reused) {
      console.log(`  reusing the library seeded in ${dataDir}`);
    } else {
      const seedStart = performance.now();
      const database = openDatabase({ dataDir, databaseUrl: options.databaseUrl });
      try {
        await seedLibrary(database, dataDir, accountId, options.keys, samplesFile);
        if (database.dialect === 'postgres') await settlePostgres(database);
      } finally {
        await database.close();
      }
      if (database.dialect === 'sqlite') flushToDisk(join(dataDir, sqliteFileName));
      if (keptDir) writeFileSync(join(keptDir, seededMarker), String(options.keys));
      console.log(
        `  seeded ${options.keys.toLocaleString('en')} keys in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
      );
    }

    const configurations: Configuration[] = [];
    for (const workers of options.workerCounts) {
      if (!options.databaseUrl) readThrough(join(dataDir, sqliteFileName));
      const server = await startKeyhold(dataDir, options.databaseUrl, workers);
      const memory = watchMemory(server.child.pid);
      const measured: Measured[] = [];
      try {
        for (const scenario of options.scenarios) {
          const result = await measure(server, {
            url: server.url,
            scenario,
            seconds: options.seconds,
            warmUpSeconds: 2,
            connections: options.connections,
            headers,
            samples: samplesFile,
          });
          measured.push({ scenario, result });
          console.log(line(`${options.label} x${workers} ${scenario}`, result, options.hello));
        }
        const configuration = { workers, measured, memory: memory.stop() };
        console.log(memoryLine(configuration.memory));
        configurations.push(configuration);
      } finally {
        await stop(server);
      }
    }
    if (options.databaseUrl) {
      await countStatements(dataDir, options.databaseUrl, options.scenarios, headers, samplesFile);
    }
    return configurations;
  } finally {
    if (!keptDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A short pass through the statement counter: statements each request sends to PostgreSQL. */
async function countStatements(
  dataDir: string,
  databaseUrl: string,
  scenarios: readonly Scenario[],
  headers: Record<string, string>,
  samples: string,
): Promise<void> {
  const counter = await startStatementCounter(databaseUrl);
  const server = await startKeyhold(dataDir, counter.url, 1);
  try {
    const counted: string[] = [];
    for (const scenario of scenarios) {
      const before = counter.count();
      const result = await runLoad({
        url: server.url,
        scenario,
        seconds: 1,
        warmUpSeconds: 1,
        connections: 4,
        headers,
        samples,
      });
      const perRequest = (counter.count() - before) / Math.max(1, result.allRequests);
      counted.push(`${scenario} ${perRequest.toFixed(2)}`);
    }
    console.log(`  statements per request (PostgreSQL): ${counted.join(', ')}`);
  } finally {
    await stop(server);
    counter.close();
  }
}

/** Names the number of keys a kept library was seeded with; written once seeding is complete. */
const seededMarker = 'bench-seeded.txt';

/**
 * Whether the kept library folder holds a complete library of `keys` keys. One of another size
 * (or one whose seeding was cut short) is removed to be seeded again; a folder holding anything
 * else is never touched.
 */
function reuseKeptLibrary(dir: string, keys: number): boolean {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return false;
  const marker = join(dir, seededMarker);
  if (!existsSync(marker) && !existsSync(join(dir, sqliteFileName))) {
    console.error(
      `server bench: KEYHOLD_BENCH_LIBRARY_DIR=${dir} holds files that are not a bench ` +
        'library; name a new or empty folder.',
    );
    process.exit(2);
  }
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(keys)) return true;
  rmSync(dir, { recursive: true, force: true });
  return false;
}

/**
 * Seeding writes without syncing, and the kernel writes that back to disk over the next minutes
 * (2 GB for a million keys on SQLite), which would take CPU and disk from the first
 * measurements: the library is written out before measuring (settlePostgres does the same there).
 */
function flushToDisk(file: string): void {
  const descriptor = openSync(file, 'r+');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Reads a file once from end to end, so the operating system has it cached as it would for a
 * server that has been running. On the shared test machine the host takes back cached pages left
 * alone for a while, and a search that finds its pages gone waits for the disk (60 us a page
 * instead of 4). The cache is the kernel's, not the server's: it does not count in its memory.
 */
function readThrough(file: string): void {
  const descriptor = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(4 << 20);
  try {
    while (readSync(descriptor, chunk, 0, chunk.length, null) > 0);
  } finally {
    closeSync(descriptor);
  }
}

/** Planner statistics for the seeded tables, then a checkpoint (which needs a superuser). */
async function settlePostgres(database: Database): Promise<void> {
  await sql`analyze`.execute(database.db);
  try {
    await sql`checkpoint`.execute(database.db);
  } catch (error) {
    console.warn(`  no checkpoint after seeding (${String(error)}): write-back may slow the start`);
  }
}

/** A fresh PostgreSQL schema for the run, dropped afterwards. */
async function withSchema<T>(baseUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const schema = `keyhold_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  try {
    const url = new URL(baseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await work(url.toString());
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const keys = Number(process.env.KEYHOLD_BENCH_KEYS ?? 1_000_000);
  const pgKeys = Number(process.env.KEYHOLD_BENCH_PG_KEYS ?? 1_000_000);
  const seconds = Number(process.env.KEYHOLD_BENCH_SECONDS ?? 10);
  const connections = Number(process.env.KEYHOLD_BENCH_CONNECTIONS ?? 32);
  // One process, and one per core: what `keyhold serve` does by default and at its fastest.
  const workerCounts = [
    ...new Set(
      (process.env.KEYHOLD_BENCH_WORKERS ?? `1,${availableParallelism()}`).split(',').map(Number),
    ),
  ];
  const workers = Math.max(...workerCounts);
  const pgUrl = process.env.KEYHOLD_BENCH_DATABASE_URL ?? process.env.KEYHOLD_TEST_DATABASE_URL;
  const scenarios = libraryScenarios.filter(
    (scenario) =>
      !process.env.KEYHOLD_BENCH_SCENARIOS ||
      process.env.KEYHOLD_BENCH_SCENARIOS.split(',').includes(scenario),
  );

  // The server runs from dist/, as `keyhold serve` does: compile it first.
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, stdio: 'inherit' },
  );
  if (build.status !== 0) console.warn('server bench: the build reported errors (see above)');

  console.log(
    `server bench: ${connections} connections, ${seconds} s per measurement, ` +
      `Keyhold with ${workerCounts.join(' and ')} workers (xN below) on ${availableParallelism()} cores, ` +
      `load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
  );
  const helloRuns: LoadResult[] = [];
  for (const helloWorkers of new Set([1, workers])) {
    const helloServer = await startHelloWorld(helloWorkers);
    try {
      const run = await measure(helloServer, {
        url: helloServer.url,
        scenario: 'hello',
        seconds,
        warmUpSeconds: 2,
        connections,
        headers: {},
        samples: undefined,
      });
      helloRuns.push(run);
      console.log(line(`fastify hello-world x${helloWorkers}`, run, undefined));
    } finally {
      await stop(helloServer);
    }
  }
  // The faster hello-world is the baseline, whichever it is.
  const hello = helloRuns.reduce((best, run) => (run.perSecond > best.perSecond ? run : best));

  console.log(`SQLite, ${keys.toLocaleString('en')} keys in one account:`);
  const sqlite = await measureLibrary({
    label: 'sqlite',
    keys,
    databaseUrl: undefined,
    seconds,
    connections,
    hello,
    scenarios,
    workerCounts,
  });

  let postgres: Configuration[] = [];
  if (pgUrl && pgKeys > 0) {
    console.log(`PostgreSQL, ${pgKeys.toLocaleString('en')} keys in one account:`);
    postgres = await withSchema(pgUrl, (databaseUrl) =>
      measureLibrary({
        label: 'postgres',
        keys: pgKeys,
        databaseUrl,
        seconds,
        connections,
        hello,
        scenarios,
        workerCounts,
      }),
    );
  } else {
    console.log('PostgreSQL: skipped (set KEYHOLD_BENCH_DATABASE_URL)');
  }

  for (const { workers, measured, memory } of sqlite) {
    const result = (scenario: Scenario) => measured.find((m) => m.scenario === scenario)?.result;
    const search = result('search');
    const checks: [string, boolean][] = [
      [
        `search >= ${targets.searchShare * 100}% of hello-world`,
        (search?.perSecond ?? 0) >= targets.searchShare * hello.perSecond,
      ],
      [`search p99 <= ${targets.searchP99} ms`, (search?.p99 ?? Infinity) <= targets.searchP99],
      [
        `add >= ${targets.writesPerSecond}/s`,
        (result('add')?.perSecond ?? 0) >= targets.writesPerSecond,
      ],
      [
        `reveal >= ${targets.writesPerSecond}/s`,
        (result('reveal')?.perSecond ?? 0) >= targets.writesPerSecond,
      ],
      [
        `server private memory <= ${targets.rssMb} MB with ${keys.toLocaleString('en')} keys`,
        memory.anonymousPeak <= targets.rssMb,
      ],
    ];
    console.log(`targets (SQLite, ${workers} worker${workers === 1 ? '' : 's'}):`);
    for (const [name, met] of checks) console.log(`  ${met ? 'ok   ' : 'MISSED'} ${name}`);
  }
  for (const { workers, measured } of postgres) {
    const result = (scenario: Scenario) => measured.find((m) => m.scenario === scenario)?.result;
    const onSqlite = sqlite.find((configuration) => configuration.workers === workers);
    const sqliteCpu = (scenario: Scenario) =>
      onSqlite?.measured.find((m) => m.scenario === scenario)?.result.cpuPerRequest;
    const checks: [string, boolean][] = [
      [
        `search >= ${targets.postgresSearch}/s`,
        (result('search')?.perSecond ?? 0) >= targets.postgresSearch,
      ],
      [
        `search p99 <= ${targets.searchP99} ms`,
        (result('search')?.p99 ?? Infinity) <= targets.searchP99,
      ],
      [`add >= ${targets.postgresAdd}/s`, (result('add')?.perSecond ?? 0) >= targets.postgresAdd],
      [
        `reveal >= ${targets.postgresReveal}/s`,
        (result('reveal')?.perSecond ?? 0) >= targets.postgresReveal,
      ],
    ];
    for (const scenario of ['search', 'add', 'reveal'] as const) {
      const own = result(scenario)?.cpuPerRequest ?? Infinity;
      const base = sqliteCpu(scenario) ?? 0;
      checks.push([
        `${scenario} CPU per request ${own.toFixed(0)} us <= ${targets.postgresCpuRatio}x SQLite's ${base.toFixed(0)} us`,
        own <= targets.postgresCpuRatio * base,
      ]);
    }
    console.log(`targets (PostgreSQL, ${workers} worker${workers === 1 ? '' : 's'}):`);
    for (const [name, met] of checks) console.log(`  ${met ? 'ok   ' : 'MISSED'} ${name}`);
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
}

const mode = process.argv[2];
if (mode === '--load') {
  process.stdout.write(
    JSON.stringify(await generateLoad(JSON.parse(process.argv[3] ?? '{}') as LoadSpec)),
  );
} else if (mode === '--hello') {
  await serveHelloWorld(Number(process.argv[3]), Number(process.argv[4] ?? 1));
} else {
  await main();
}
