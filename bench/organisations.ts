/**
 * Organisation libraries at scale: 1,000,000 keys across 1,000 organisations on SQLite (and
 * 200,000 on PostgreSQL), seeded straight into the database, served by `keyhold serve`.
 *
 * Measures, with the load generator in its own process (keep-alive HTTP/1.1, 32 connections):
 * a helpdesk person's 8-character Key ID prefix search in one organisation
 * (GET /api/v1/orgs/:orgId/keys?q=) next to the same person's search of their personal library
 * of the same size, in the same run against the same server, alternating, p50/p99 and requests
 * per second; then the time to move a 100,000-key Entra ID CSV export into an empty
 * organisation (POST /api/v1/orgs/:orgId/import, one request).
 * Targets: the organisation search within 1.2 times the personal search (its p50 and p99 at most
 * 1.2 times, its requests per second at least 1/1.2); the import >= 5,000 keys a second on SQLite.
 *
 * Sizes and durations come from the environment so a quick run is possible:
 *   KEYHOLD_BENCH_ORG_KEYS=1000000  KEYHOLD_BENCH_ORG_PG_KEYS=200000  KEYHOLD_BENCH_ORGS=1000
 *   KEYHOLD_BENCH_IMPORT_KEYS=100000  KEYHOLD_BENCH_SECONDS=10  KEYHOLD_BENCH_CONNECTIONS=32
 *   KEYHOLD_BENCH_ROUNDS=2 (alternating personal and organisation searches; the best of each counts)
 *   KEYHOLD_BENCH_DATABASE_URL=postgres://... (else KEYHOLD_TEST_DATABASE_URL; PostgreSQL is
 *   skipped when neither is set)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyToRecoveryPassword } from '../src/bitlocker/recovery-password.js';
import { openDatabase, sqliteFileName, type Database } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { organisationOwner, userOwner } from '../src/db/owners.js';
import { callJson } from './support/http.js';
import type { LoadResult } from './support/load.js';
import { seedLibrary, windowsStyleName } from './support/seed.js';
import {
  buildServer,
  cpuTimeOf,
  flushToDisk,
  measure,
  readThrough,
  settlePostgres,
  signIn,
  startKeyhold,
  stop,
  withSchema,
  type Running,
} from './support/servers.js';

const targets = { searchRatio: 1.2, importPerSecond: 5000 };

interface Seeded {
  /** The organisation the bench account searches as its helpdesk. */
  searchedOrgId: string;
  /** An empty organisation the bench account owns, for the import. */
  importOrgId: string;
}

/**
 * The organisations, each with `perOrganisation` keys, and the bench account's personal library
 * of the same size. The bench account is helpdesk in one organisation (in the middle of the
 * list) and owner of one more, empty, for the import.
 */
async function seedOrganisations(
  database: Database,
  dataDir: string,
  options: {
    accountId: string;
    organisations: number;
    perOrganisation: number;
    orgSamples: string;
    personalSamples: string;
  },
): Promise<Seeded> {
  const at = new Date().toISOString();
  const ids = Array.from({ length: options.organisations }, () => newId());
  const searchedOrgId = ids[Math.floor(ids.length / 2)] ?? '';
  const importOrgId = newId();
  const rows = [...ids, importOrgId].map((id, n) => ({
    id,
    name: id === importOrgId ? 'Moving In AS' : `Bench Organisation ${n + 1}`,
    step_up_minutes: null,
    created_at: at,
    updated_at: at,
  }));
  for (let first = 0; first < rows.length; first += 500) {
    await database.db
      .insertInto('organisations')
      .values(rows.slice(first, first + 500))
      .execute();
  }
  await database.db
    .insertInto('memberships')
    .values([
      {
        organisation_id: searchedOrgId,
        user_id: options.accountId,
        role: 'helpdesk',
        created_at: at,
        updated_at: at,
      },
      {
        organisation_id: importOrgId,
        user_id: options.accountId,
        role: 'owner',
        created_at: at,
        updated_at: at,
      },
    ])
    .execute();

  const sampleEvery = Math.max(1, Math.floor(options.perOrganisation / 200));
  const progressEvery = Math.max(1, Math.floor(ids.length / 10));
  for (const [n, id] of ids.entries()) {
    const samples = await seedLibrary(database, dataDir, {
      owner: organisationOwner(id),
      actorUserId: options.accountId,
      count: options.perOrganisation,
      firstDevice: n * options.perOrganisation,
      sampleEvery: id === searchedOrgId ? sampleEvery : options.perOrganisation + 1,
      showProgress: false,
    });
    if (id === searchedOrgId) writeFileSync(options.orgSamples, `${samples.join('\n')}\n`);
    if ((n + 1) % progressEvery === 0) {
      process.stdout.write(`  seeded ${(n + 1).toLocaleString('en')} organisations\r`);
    }
  }
  const personal = await seedLibrary(database, dataDir, {
    owner: userOwner(options.accountId),
    actorUserId: options.accountId,
    count: options.perOrganisation,
    firstDevice: ids.length * options.perOrganisation,
    sampleEvery,
    showProgress: false,
  });
  writeFileSync(options.personalSamples, `${personal.join('\n')}\n`);
  return { searchedOrgId, importOrgId };
}

/**
 * An Entra ID / Intune recovery key export as the portal downloads it (the columns of
 * test/fixtures/escrow-exports/entra-bitlocker-keys.csv): `keys` keys on keys/2 devices, each
 * with an OS and a data volume.
 */
function entraExport(keys: number): Buffer {
  const lines = ['\uFEFF"Key ID","Device name","Device ID","Volume type","Recovery key","Date"'];
  const dated = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; i < keys; i++) {
    const device = Math.floor(i / 2);
    const type = i % 2 === 0 ? 'Operating system volume' : 'Fixed data volume';
    const date = new Date(dated + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lines.push(
      [
        randomUUID().toUpperCase(),
        windowsStyleName(10_000_000 + device),
        randomUUID(),
        type,
        keyToRecoveryPassword(randomBytes(16)),
        date,
      ]
        .map((field) => `"${field}"`)
        .join(','),
    );
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

interface ImportResult {
  keys: number;
  seconds: number;
  perSecond: number;
  /** The server's CPU time (user and system) for the import, in seconds. */
  cpuSeconds: number;
}

async function timeImport(
  server: Running,
  headers: Record<string, string>,
  orgId: string,
  keys: number,
): Promise<ImportResult> {
  const body = {
    filename: 'BitLockerKeys.csv',
    contentBase64: entraExport(keys).toString('base64'),
  };
  const started = performance.now();
  const cpuBefore = cpuTimeOf(server.child.pid);
  const { status, body: answer } = await callJson<{ added?: number }>(
    `${server.url}/api/v1/orgs/${orgId}/import`,
    { method: 'POST', headers, body },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (cpuTimeOf(server.child.pid) - cpuBefore) / 1e6;
  if (status !== 200 || answer.added !== keys) {
    throw new Error(`the import answered ${status}: ${JSON.stringify(answer).slice(0, 300)}`);
  }
  return { keys, seconds, perSecond: keys / seconds, cpuSeconds };
}

interface LibraryFigures {
  label: string;
  keys: number;
  personal: LoadResult;
  organisation: LoadResult;
  /** Server CPU per request over every round (warm-up included), in microseconds. */
  personalCpu: number;
  organisationCpu: number;
  imported: ImportResult;
}

/** Server CPU per request over several runs together: less swayed by load than their speed. */
function cpuPerRequest(runs: LoadResult[]): number {
  const requests = runs.reduce((sum, run) => sum + run.allRequests, 0);
  const cpu = runs.reduce((sum, run) => sum + (run.cpuPerRequest ?? 0) * run.allRequests, 0);
  return cpu / Math.max(1, requests);
}

function searchLine(name: string, result: LoadResult): string {
  const failed =
    result.failures > 0 ? `  (${result.failures} non-2xx: ${JSON.stringify(result.statuses)})` : '';
  return (
    `  ${name.padEnd(34)} ${result.perSecond.toFixed(0).padStart(7)} req/s  ` +
    `p50 ${result.p50.toFixed(2).padStart(6)} ms  p99 ${result.p99.toFixed(2).padStart(6)} ms  ` +
    `cpu ${(result.cpuPerRequest ?? Number.NaN).toFixed(0).padStart(4)} us/req  ` +
    `load ${(loadavg()[0] ?? 0).toFixed(1)}${failed}`
  );
}

const best = (runs: LoadResult[]): LoadResult =>
  runs.reduce((top, run) => (run.perSecond > top.perSecond ? run : top));

/** Seeds one database, then measures both searches and the import against one server. */
async function measureOrganisations(options: {
  label: string;
  keys: number;
  organisations: number;
  importKeys: number;
  databaseUrl: string | undefined;
  seconds: number;
  connections: number;
  rounds: number;
}): Promise<LibraryFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-bench-orgs-'));
  const orgSamples = join(dataDir, 'organisation-samples.txt');
  const personalSamples = join(dataDir, 'personal-samples.txt');
  const perOrganisation = Math.max(2, Math.floor(options.keys / options.organisations));
  try {
    const first = await startKeyhold(dataDir, options.databaseUrl);
    const { accountId, headers } = await signIn(first.url, true);
    await stop(first);

    const seedStart = performance.now();
    const database = openDatabase({ dataDir, databaseUrl: options.databaseUrl });
    let seeded: Seeded;
    try {
      seeded = await seedOrganisations(database, dataDir, {
        accountId,
        organisations: options.organisations,
        perOrganisation,
        orgSamples,
        personalSamples,
      });
      if (database.dialect === 'postgres') await settlePostgres(database);
    } finally {
      await database.close();
    }
    if (!options.databaseUrl) flushToDisk(join(dataDir, sqliteFileName));
    console.log(
      `  seeded ${(perOrganisation * options.organisations).toLocaleString('en')} keys in ` +
        `${options.organisations.toLocaleString('en')} organisations ` +
        `(${perOrganisation.toLocaleString('en')} each) and a personal library of ` +
        `${perOrganisation.toLocaleString('en')} in ` +
        `${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
    );

    if (!options.databaseUrl) readThrough(join(dataDir, sqliteFileName));
    const server = await startKeyhold(dataDir, options.databaseUrl);
    try {
      const search = (keysPath: string, samples: string) =>
        measure(server, {
          url: server.url,
          scenario: 'search',
          seconds: options.seconds,
          warmUpSeconds: 2,
          connections: options.connections,
          headers,
          samples,
          keysPath,
        });
      const personalRuns: LoadResult[] = [];
      const organisationRuns: LoadResult[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        const personal = await search('/api/v1/keys', personalSamples);
        personalRuns.push(personal);
        console.log(searchLine(`${options.label} personal search (${round})`, personal));
        const organisation = await search(`/api/v1/orgs/${seeded.searchedOrgId}/keys`, orgSamples);
        organisationRuns.push(organisation);
        console.log(searchLine(`${options.label} helpdesk org search (${round})`, organisation));
      }
      const imported = await timeImport(server, headers, seeded.importOrgId, options.importKeys);
      console.log(
        `  ${options.label} import of a ${options.importKeys.toLocaleString('en')}-key Entra ID CSV: ` +
          `${imported.seconds.toFixed(1)} s, ${imported.perSecond.toFixed(0)} keys/s ` +
          `(server CPU ${imported.cpuSeconds.toFixed(1)} s, ` +
          `${(imported.keys / imported.cpuSeconds).toFixed(0)} keys per CPU second; ` +
          `load average ${(loadavg()[0] ?? 0).toFixed(1)})`,
      );
      return {
        label: options.label,
        keys: perOrganisation * options.organisations,
        personal: best(personalRuns),
        organisation: best(organisationRuns),
        personalCpu: cpuPerRequest(personalRuns),
        organisationCpu: cpuPerRequest(organisationRuns),
        imported,
      };
    } finally {
      await stop(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(figures: LibraryFigures, importTarget: boolean): void {
  const { personal, organisation, imported } = figures;
  const p50 = organisation.p50 / personal.p50;
  const p99 = organisation.p99 / personal.p99;
  const rate = personal.perSecond / organisation.perSecond;
  console.log(
    `${figures.label}: organisation search / personal search: p50 ${p50.toFixed(2)}x, ` +
      `p99 ${p99.toFixed(2)}x, time per request (1 / req/s) ${rate.toFixed(2)}x, ` +
      `server CPU per request over all rounds ${(figures.organisationCpu / figures.personalCpu).toFixed(2)}x ` +
      `(${figures.organisationCpu.toFixed(0)} against ${figures.personalCpu.toFixed(0)} us)`,
  );
  const checks: [string, boolean][] = [
    [
      `organisation search within ${targets.searchRatio}x of personal (p50, p99, req/s)`,
      Math.max(p50, p99, rate) <= targets.searchRatio,
    ],
    ['no failed searches', personal.failures === 0 && organisation.failures === 0],
  ];
  if (importTarget) {
    checks.push([
      `import >= ${targets.importPerSecond.toLocaleString('en')} keys/s`,
      imported.perSecond >= targets.importPerSecond,
    ]);
  }
  console.log(`targets (${figures.label}, ${figures.keys.toLocaleString('en')} keys):`);
  for (const [name, met] of checks) console.log(`  ${met ? 'ok   ' : 'MISSED'} ${name}`);
}

async function main(): Promise<void> {
  const keys = Number(process.env.KEYHOLD_BENCH_ORG_KEYS ?? 1_000_000);
  const pgKeys = Number(process.env.KEYHOLD_BENCH_ORG_PG_KEYS ?? 200_000);
  const organisations = Number(process.env.KEYHOLD_BENCH_ORGS ?? 1000);
  const importKeys = Number(process.env.KEYHOLD_BENCH_IMPORT_KEYS ?? 100_000);
  const seconds = Number(process.env.KEYHOLD_BENCH_SECONDS ?? 10);
  const connections = Number(process.env.KEYHOLD_BENCH_CONNECTIONS ?? 32);
  const rounds = Math.max(1, Number(process.env.KEYHOLD_BENCH_ROUNDS ?? 2));
  const pgUrl = process.env.KEYHOLD_BENCH_DATABASE_URL ?? process.env.KEYHOLD_TEST_DATABASE_URL;

  buildServer('organisations bench');
  console.log(
    `organisations bench: ${connections} connections, ${seconds} s per measurement, ` +
      `${rounds} rounds, one server process, load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
  );
  const common = { organisations, importKeys, seconds, connections, rounds };
  console.log(
    `SQLite, ${keys.toLocaleString('en')} keys in ${organisations.toLocaleString('en')} organisations:`,
  );
  const sqlite = await measureOrganisations({
    ...common,
    label: 'sqlite',
    keys,
    databaseUrl: undefined,
  });
  let postgres: LibraryFigures | undefined;
  if (pgUrl && pgKeys > 0) {
    console.log(
      `PostgreSQL, ${pgKeys.toLocaleString('en')} keys in ${organisations.toLocaleString('en')} organisations:`,
    );
    postgres = await withSchema(pgUrl, (databaseUrl) =>
      measureOrganisations({ ...common, label: 'postgres', keys: pgKeys, databaseUrl }),
    );
  } else {
    console.log('PostgreSQL: skipped (set KEYHOLD_BENCH_DATABASE_URL)');
  }
  report(sqlite, true);
  if (postgres) report(postgres, false);
  console.log(
    `load average at the end: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
}

await main();
