/**
 * Running `keyhold serve` for the server benchmarks: start and stop it, its CPU time, the bench
 * account's sign-in, and the database chores around seeding (flushing, caching, a scratch
 * PostgreSQL schema).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { childProcessesOf } from '../../test/support/processes.js';
import { callJson, expectStatus } from './http.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';

export const root = join(import.meta.dirname, '..', '..');

/** The server runs from dist/, as `keyhold serve` does: compile it first. */
export function buildServer(bench: string): void {
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, stdio: 'inherit' },
  );
  if (build.status !== 0) console.warn(`${bench}: the build reported errors (see above)`);
}

export async function freePort(): Promise<number> {
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

export interface Running {
  child: ChildProcess;
  url: string;
}

export async function waitUntilServing(
  child: ChildProcess,
  url: string,
  path: string,
): Promise<void> {
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

export async function startKeyhold(
  dataDir: string,
  databaseUrl: string | undefined,
  workers = 1,
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

export function stop(running: Running): Promise<void> {
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

/** A server's processes: the one started and the workers it started (Linux). */
export function processesOf(pid: number | undefined): number[] {
  return pid === undefined ? [] : [pid, ...childProcessesOf(pid)];
}

/** CPU time a process has used so far, user and system, in microseconds (Linux). */
function processCpuTime(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, counted from after the command name's closing ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
}

/** CPU time a server has used so far, user and system, in microseconds (Linux). */
export function cpuTimeOf(pid: number | undefined): number {
  let total = 0;
  for (const each of processesOf(pid)) total += processCpuTime(each);
  return total;
}

/**
 * CPU time used so far by the PostgreSQL backends connected to `database` on this machine, per
 * backend (Linux): their command line reads `postgres: <cluster>: <user> <database> <client> ...`.
 * Backends that come and go between two readings are not counted; the server's pools keep theirs.
 */
function postgresCpuTimes(database: string): Map<number, number> {
  const times = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const words = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/\s+/);
      if (words[0] !== 'postgres:' || words[3] !== database) continue;
      times.set(Number(entry), processCpuTime(Number(entry)));
    } catch {
      // The process ended while it was read.
    }
  }
  return times;
}

function postgresCpuUsed(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, time] of after) used += time - (before.get(pid) ?? 0);
  return used;
}

/**
 * Runs a load against a server and adds the server's CPU time per request and, given the
 * PostgreSQL database it uses, the CPU time of that database's backends per request.
 */
export async function measure(
  server: Running,
  spec: LoadSpec,
  postgresDatabase?: string,
): Promise<LoadResult> {
  const cpuBefore = cpuTimeOf(server.child.pid);
  const postgresBefore = postgresDatabase ? postgresCpuTimes(postgresDatabase) : undefined;
  const result = await runLoad(spec);
  const cpuUsed = cpuTimeOf(server.child.pid) - cpuBefore;
  const requests = Math.max(1, result.allRequests);
  const measured: LoadResult = { ...result, cpuPerRequest: cpuUsed / requests };
  if (postgresDatabase && postgresBefore) {
    const used = postgresCpuUsed(postgresBefore, postgresCpuTimes(postgresDatabase));
    measured.postgresCpuPerRequest = used / requests;
  }
  return measured;
}

export const benchAccount = {
  email: 'bench@example.org',
  password: 'violet tractor umbrella',
  displayName: 'Bench',
};

/**
 * Signs up an account (the bench account unless another is given), or signs in to it in a
 * reused library; returns the headers the web app would send as it.
 */
export async function signIn(
  url: string,
  newAccount: boolean,
  account: { email: string; password: string; displayName: string } = benchAccount,
): Promise<{ accountId: string; headers: Record<string, string> }> {
  const answer = await callJson<{ account: { id: string }; csrfToken: string }>(
    `${url}/api/v1/auth/${newAccount ? 'signup' : 'signin'}`,
    {
      method: 'POST',
      body: newAccount ? account : { email: account.email, password: account.password },
    },
  );
  const body = expectStatus(`signing in ${account.email}`, answer);
  const cookie = answer.cookies[0]?.split(';')[0] ?? '';
  return {
    accountId: body.account.id,
    headers: { cookie, 'x-keyhold-csrf': body.csrfToken, 'x-keyhold-account': body.account.id },
  };
}

/**
 * Seeding writes without syncing, and the kernel writes that back to disk over the next minutes
 * (2 GB for a million keys on SQLite), which would take CPU and disk from the first
 * measurements: the library is written out before measuring (settlePostgres does the same there).
 */
export function flushToDisk(file: string): void {
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
export function readThrough(file: string): void {
  const descriptor = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(4 << 20);
  try {
    while (readSync(descriptor, chunk, 0, chunk.length, null) > 0);
  } finally {
    closeSync(descriptor);
  }
}

/** Planner statistics for the seeded tables, then a checkpoint (which needs a superuser). */
export async function settlePostgres(database: Database): Promise<void> {
  await sql`analyze`.execute(database.db);
  try {
    await sql`checkpoint`.execute(database.db);
  } catch (error) {
    console.warn(`  no checkpoint after seeding (${String(error)}): write-back may slow the start`);
  }
}

/** A fresh PostgreSQL schema for the run, dropped afterwards. */
export async function withSchema<T>(
  baseUrl: string,
  work: (url: string) => Promise<T>,
): Promise<T> {
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
