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
 *   KEYHOLD_BENCH_PG_LIBRARY_DIR=/tmp/pg-library (the same for PostgreSQL: the data folder there,
 *   the keys in the schema keyhold_bench_kept, kept after the run)
 */
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase, sqliteFileName } from '../src/db/database.js';
import { userOwner } from '../src/db/owners.js';
import { runLoad, type LoadResult, type Scenario } from './support/load.js';
import { seedLibrary } from './support/seed.js';
import {
  buildServer,
  flushToDisk,
  freePort,
  measure,
  processesOf,
  readThrough,
  root,
  settlePostgres,
  signIn,
  startKeyhold,
  stop,
  waitUntilServing,
  withSchema,
  type Running,
} from './support/servers.js';

const self = import.meta.filename;

const libraryScenarios = ['health', 'signed-in', 'search', 'list', 'add', 'reveal'] as const;

// ---------------------------------------------------------------------------------------------
// Servers

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
  const postgres =
    result.postgresCpuPerRequest === undefined
      ? ''
      : ` + PostgreSQL ${result.postgresCpuPerRequest.toFixed(0).padStart(4)} us`;
  return (
    `  ${name.padEnd(22)} ${result.perSecond.toFixed(0).padStart(7)} req/s  ` +
    `p50 ${result.p50.toFixed(2).padStart(6)} ms  p99 ${result.p99.toFixed(2).padStart(6)} ms  ` +
    `cpu ${(result.cpuPerRequest ?? Number.NaN).toFixed(0).padStart(4)} us/req${postgres}${ratio}${failed}`
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
  /** A folder to seed the library's data folder in once and reuse on later runs. */
  keptDir: string | undefined;
}): Promise<Configuration[]> {
  const keptDir = options.keptDir;
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
        const samples = await seedLibrary(database, dataDir, {
          owner: userOwner(accountId),
          actorUserId: accountId,
          count: options.keys,
        });
        writeFileSync(samplesFile, `${samples.join('\n')}\n`);
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

    const postgresDatabase = options.databaseUrl
      ? decodeURIComponent(new URL(options.databaseUrl).pathname.slice(1))
      : undefined;
    const configurations: Configuration[] = [];
    for (const workers of options.workerCounts) {
      if (!options.databaseUrl) readThrough(join(dataDir, sqliteFileName));
      const server = await startKeyhold(dataDir, options.databaseUrl, workers);
      const memory = watchMemory(server.child.pid);
      const measured: Measured[] = [];
      try {
        for (const scenario of options.scenarios) {
          const result = await measure(
            server,
            {
              url: server.url,
              scenario,
              seconds: options.seconds,
              warmUpSeconds: 2,
              connections: options.connections,
              headers,
              samples: samplesFile,
            },
            postgresDatabase,
          );
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

/**
 * PostgreSQL's kept library: the schema `keyhold_bench_kept` of the bench database, with its data
 * folder (master key, sampled keys) in `dir`. Unless both hold a library of `keys` keys, the schema
 * starts empty and reuseKeptLibrary empties the folder, so the library is seeded again.
 */
async function withKeptSchema<T>(
  baseUrl: string,
  dir: string,
  keys: number,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const schema = 'keyhold_bench_kept';
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'select 1 from information_schema.schemata where schema_name = $1',
      [schema],
    );
    const marker = join(dir, seededMarker);
    if (rowCount === 0 || !existsSync(marker) || readFileSync(marker, 'utf8') !== String(keys)) {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.query(`create schema ${schema}`);
      rmSync(marker, { force: true });
    }
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return work(url.toString());
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
  const dataFolder = [sqliteFileName, 'master.key'].some((file) => existsSync(join(dir, file)));
  if (!existsSync(marker) && !dataFolder) {
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

  buildServer('server bench');

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
    keptDir: process.env.KEYHOLD_BENCH_LIBRARY_DIR,
  });

  let postgres: Configuration[] = [];
  if (pgUrl && pgKeys > 0) {
    console.log(`PostgreSQL, ${pgKeys.toLocaleString('en')} keys in one account:`);
    const keptDir = process.env.KEYHOLD_BENCH_PG_LIBRARY_DIR;
    const inSchema = keptDir
      ? <T>(work: (url: string) => Promise<T>) => withKeptSchema(pgUrl, keptDir, pgKeys, work)
      : <T>(work: (url: string) => Promise<T>) => withSchema(pgUrl, work);
    postgres = await inSchema((databaseUrl) =>
      measureLibrary({
        keptDir,
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
if (mode === '--hello') {
  await serveHelloWorld(Number(process.argv[3]), Number(process.argv[4] ?? 1));
} else {
  await main();
}
