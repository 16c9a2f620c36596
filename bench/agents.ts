/**
 * Devices that escrow their own keys, at fleet size: 100,000 enrolled devices seeded straight
 * into the database (each with a real Ed25519 key pair, its device, its OS drive and the drive's
 * recovery key), then simulated agents in a process of their own that sign each server-issued
 * challenge for real.
 *
 * 1. Check-in with nothing changed, twice: first every device as `keyhold agent run` does without
 *    an access token (a challenge, then the check-in carrying the signed assertion, answered with
 *    an access token and the device's state: two requests, one write), then every device again
 *    holding that token (one request, no write). Printed: check-ins a second, their p50/p99 (the
 *    requests of one check-in together) and the server's CPU time per check-in.
 * 2. The rotation storm: an admin marks every key of the organisation for rotation, and every
 *    device at once makes a new recovery password, seals it to the organisation's escrow key and
 *    escrows it. Then the database is counted: every key a device heard was stored must be there
 *    with the password the device made (a sample is revealed through the API and compared), and
 *    no key may still wait for rotation.
 *
 * Targets on SQLite: >= 2,000 check-ins a second with p99 <= 50 ms; the storm loses no key.
 * PostgreSQL is measured too when KEYHOLD_BENCH_DATABASE_URL is set (figures printed).
 *
 * Sizes from the environment, for a quick run:
 *   KEYHOLD_BENCH_DEVICES=100000  KEYHOLD_BENCH_PG_DEVICES=100000  KEYHOLD_BENCH_CONNECTIONS=32
 *   KEYHOLD_BENCH_WORKERS=1 (server processes)  KEYHOLD_BENCH_AGENT_PROCESSES=1
 *   KEYHOLD_BENCH_DATABASE_URL=postgres://...  KEYHOLD_BENCH_PROFILE_DIR=/tmp/profiles (the
 *   server writes V8 CPU profiles there when it stops)
 */
import { spawn } from 'node:child_process';
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { generateRecoveryPassword } from '../src/bitlocker/recovery-password-generation.js';
import { assertionAlgorithm, jwtBearerAssertionType } from '../src/crypto/device-assertion.js';
import { sealForEscrow } from '../src/crypto/escrow-seal.js';
import { loadKeyring } from '../src/crypto/master-key.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { organisationOwner } from '../src/db/owners.js';
import {
  buildServer,
  cpuTimeOf,
  root,
  signIn,
  startKeyhold,
  stop,
  withSchema,
  type Running,
} from './support/servers.js';
import { deviceRows, insertInChunks, keyRows } from './support/seed.js';
import { callJson, expectStatus } from './support/http.js';

const self = import.meta.filename;

const targets = { checkInsPerSecond: 2000, checkInP99Ms: 50 };

/** What the simulated agents know of one device: its enrollment, Key ID and key pair (JWK). */
interface FleetFile {
  url: string;
  devices: { enrolledDeviceId: string; keyId: string; d: string; x: string }[];
}

type PhaseName = 'check-in-signed' | 'check-in-held' | 'storm';

interface PhaseSpec {
  fleet: string;
  phase: PhaseName;
  connections: number;
  /** Where the storm writes the keys the server confirmed (Key ID and password, one a line). */
  confirmedFile: string;
  /** Where the signed check-in leaves each device's access token for the held one (one a line). */
  tokensFile: string;
  /** Which slice of the fleet this process runs. */
  part: number;
  parts: number;
}

interface PhaseResult {
  devices: number;
  seconds: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure?: string;
  confirmed: number;
  /** The server's CPU time per device (µs), added by the process that started the server. */
  serverCpuUs?: number;
}

// ---------------------------------------------------------------------------------------------
// Device keys: made while seeding and handed to the agents process in the fleet file as JWKs
// (importing a JWK costs a tenth of what a PKCS #8 DER import does).

function newDeviceKey(): { publicJwk: string; d: string; x: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const x = jwk.x ?? '';
  return { publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x }), d: jwk.d ?? '', x };
}

function devicePrivateKey(device: FleetFile['devices'][number]): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: device.d, x: device.x },
    format: 'jwk',
  });
}

// ---------------------------------------------------------------------------------------------
// The simulated agents (their own process)

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function runAgents(spec: PhaseSpec): Promise<PhaseResult> {
  const fleet = JSON.parse(readFileSync(spec.fleet, 'utf8')) as FleetFile;
  const target = new URL(fleet.url);
  const checkInAudience = new URL('/api/v1/agent/check-in', fleet.url).toString();
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const call = <T>(method: string, path: string, body?: unknown, bearer?: string) =>
    callJson<T>(new URL(path, target).toString(), { method, body, bearer, agent });

  interface CheckedIn {
    accessToken: string;
    state: { escrowPublicKey: string; lastSequence: number; rotate: { keyId: string }[] };
  }

  /** A quiet pass of `keyhold agent run` without a token: a challenge, the signed check-in. */
  async function checkIn(device: FleetFile['devices'][number]): Promise<CheckedIn> {
    const { enrolledDeviceId } = device;
    const { challenge } = expectStatus(
      'challenge',
      await call<{ challenge: string }>('POST', '/api/v1/agent/challenge', { enrolledDeviceId }),
    );
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: enrolledDeviceId,
      sub: enrolledDeviceId,
      aud: checkInAudience,
      jti: challenge,
      iat: now,
      exp: now + 120,
    };
    const signingInput = `${Buffer.from(JSON.stringify({ alg: assertionAlgorithm, typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign(null, Buffer.from(signingInput), devicePrivateKey(device));
    const answer = expectStatus(
      'check-in',
      await call<{ token?: { access_token: string }; state: CheckedIn['state'] }>(
        'POST',
        '/api/v1/agent/check-in',
        {
          client_assertion_type: jwtBearerAssertionType,
          client_assertion: `${signingInput}.${signature.toString('base64url')}`,
        },
      ),
    );
    return { accessToken: answer.token?.access_token ?? '', state: answer.state };
  }

  /** A quiet pass holding an access token: the check-in alone. */
  async function checkInHeld(accessToken: string): Promise<CheckedIn> {
    const answer = expectStatus(
      'check-in',
      await call<{ state: CheckedIn['state'] }>('POST', '/api/v1/agent/check-in', {}, accessToken),
    );
    return { accessToken, state: answer.state };
  }

  /** A rotation as the agent does it, minus the drive: a new key, sealed, escrowed, confirmed. */
  async function rotate(device: FleetFile['devices'][number]) {
    const { enrolledDeviceId, keyId } = device;
    const { accessToken, state } = await checkIn(device);
    if (!state.rotate.some((wanted) => wanted.keyId === keyId)) {
      throw new Error(`the server did not ask ${enrolledDeviceId} to rotate ${keyId}`);
    }
    const recoveryPassword = generateRecoveryPassword();
    const newKeyId = randomBytes(16).toString('hex').toUpperCase();
    const dashed = `${newKeyId.slice(0, 8)}-${newKeyId.slice(8, 12)}-${newKeyId.slice(12, 16)}-${newKeyId.slice(16, 20)}-${newKeyId.slice(20)}`;
    const answer = expectStatus(
      'escrow',
      await call<{ stored: { keyId: string; outcome: string }[] }>(
        'POST',
        '/api/v1/agent/escrow',
        {
          sequence: state.lastSequence + 1,
          drives: [
            {
              label: 'C:',
              type: 'os',
              volumeGuid: null,
              protectorTypes: ['tpm', 'recovery-password', 'recovery-password'],
              keys: [
                {
                  keyId: dashed,
                  sealedSecret: sealForEscrow(
                    state.escrowPublicKey,
                    enrolledDeviceId,
                    recoveryPassword,
                  ),
                },
              ],
            },
          ],
        },
        accessToken,
      ),
    );
    if (!answer.stored.some((key) => key.keyId === dashed && key.outcome === 'created')) {
      throw new Error(`escrow of ${dashed}: not confirmed (${JSON.stringify(answer)})`);
    }
    return `${dashed} ${recoveryPassword}`;
  }

  const devices = fleet.devices.filter((_, index) => index % spec.parts === spec.part);
  const latencies = new Float64Array(devices.length);
  const confirmed: string[] = [];
  const heldTokens =
    spec.phase === 'check-in-held' ? readFileSync(spec.tokensFile, 'utf8').split('\n') : [];
  const tokens: string[] = new Array<string>(devices.length).fill('');
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    for (let position = next++; position < devices.length; position = next++) {
      const device = devices[position];
      if (!device) break;
      const began = performance.now();
      try {
        if (spec.phase === 'check-in-signed' || spec.phase === 'check-in-held') {
          const { accessToken, state } =
            spec.phase === 'check-in-signed'
              ? await checkIn(device)
              : await checkInHeld(heldTokens[position] ?? '');
          if (state.rotate.length > 0) throw new Error('a quiet check-in was asked to rotate');
          tokens[position] = accessToken;
        } else {
          confirmed.push(await rotate(device));
        }
      } catch (error) {
        failures += 1;
        firstFailure ??= String(error);
      }
      latencies[position] = performance.now() - began;
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  if (spec.phase === 'storm') writeFileSync(spec.confirmedFile, `${confirmed.join('\n')}\n`);
  if (spec.phase === 'check-in-signed') writeFileSync(spec.tokensFile, tokens.join('\n'));
  const sorted = latencies.sort();
  return {
    devices: devices.length,
    seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    failures,
    ...(firstFailure ? { firstFailure } : {}),
    confirmed: confirmed.length,
  };
}

/**
 * Runs a phase in `parts` agent processes at once and adds up what they measured, with the
 * server's CPU time per device.
 */
async function phase(
  spec: Omit<PhaseSpec, 'part' | 'confirmedFile' | 'tokensFile'> & { dir: string; server: Running },
): Promise<PhaseResult & { confirmedFiles: string[] }> {
  const cpuBefore = cpuTimeOf(spec.server.child.pid);
  const parts = Array.from({ length: spec.parts }, (_, part) => {
    const partSpec: PhaseSpec = {
      fleet: spec.fleet,
      phase: spec.phase,
      connections: Math.max(1, Math.round(spec.connections / spec.parts)),
      confirmedFile: join(spec.dir, `confirmed-${part}.txt`),
      tokensFile: join(spec.dir, `tokens-${part}.txt`),
      part,
      parts: spec.parts,
    };
    return new Promise<PhaseResult & { latencyFile: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', self, '--agents', JSON.stringify(partSpec)],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', (code) => {
        if (code === 0) resolve(JSON.parse(output) as PhaseResult & { latencyFile: string });
        else reject(new Error(`the agents process exited with ${code}`));
      });
    });
  });
  const results = await Promise.all(parts);
  const serverCpuUs = cpuTimeOf(spec.server.child.pid) - cpuBefore;
  const seconds = Math.max(...results.map((result) => result.seconds));
  const firstFailure = results.find((result) => result.firstFailure)?.firstFailure;
  return {
    devices: results.reduce((sum, result) => sum + result.devices, 0),
    seconds,
    // Each process's percentile of its own share; the worst is the fleet's, conservatively.
    p50: Math.max(...results.map((result) => result.p50)),
    p99: Math.max(...results.map((result) => result.p99)),
    failures: results.reduce((sum, result) => sum + result.failures, 0),
    ...(firstFailure ? { firstFailure } : {}),
    confirmed: results.reduce((sum, result) => sum + result.confirmed, 0),
    serverCpuUs:
      serverCpuUs /
      Math.max(
        1,
        results.reduce((sum, result) => sum + result.devices, 0),
      ),
    confirmedFiles: Array.from({ length: spec.parts }, (_, part) =>
      join(spec.dir, `confirmed-${part}.txt`),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// The server

const fleetAdmin = {
  email: 'fleet-admin@example.org',
  password: 'violet tractor umbrella',
  displayName: 'Fleet admin',
};

/** A request as the fleet's owner, signed in in a "browser" (see signIn). */
async function asOwner<T>(
  url: string,
  headers: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  return expectStatus(
    `${method} ${path}`,
    await callJson<T>(`${url}${path}`, { method, headers, body }),
  );
}

// ---------------------------------------------------------------------------------------------
// Seeding: enrolled devices with their device, OS drive and key, straight into the database

async function seedFleet(
  database: Database,
  dataDir: string,
  organisationId: string,
  count: number,
): Promise<FleetFile['devices']> {
  const masterKey = loadKeyring({ dataDir }).keyring.current();
  const owner = organisationOwner(organisationId);
  if (database.dialect === 'sqlite') {
    // This connection only: a crash while seeding costs nothing but a re-run.
    await sql`pragma synchronous = off`.execute(database.db);
  }
  const fleet: FleetFile['devices'] = [];
  const batchSize = 1000;
  const atMs = Date.now() - 86_400_000;
  const at = new Date(atMs).toISOString();
  for (let first = 0; first < count; first += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, count - first) }, (_, offset) => {
      const name = `PC-${String(first + offset).padStart(6, '0')}`;
      const device = deviceRows(owner, newId(atMs), name, at);
      const drive = keyRows(masterKey, owner, {
        deviceId: device.device.id,
        label: 'C:',
        type: 'os',
        at,
        idTimeMs: atMs,
        source: `keyhold agent on ${name}`,
        protectorTypes: JSON.stringify(['recovery-password', 'tpm']),
      });
      const enrolledDeviceId = newId();
      const deviceKey = newDeviceKey();
      const hex = drive.key.protector_hex;
      fleet.push({
        enrolledDeviceId,
        d: deviceKey.d,
        x: deviceKey.x,
        keyId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      });
      return {
        ...device,
        ...drive,
        enrolled: {
          id: enrolledDeviceId,
          organisation_id: organisationId,
          device_id: device.device.id,
          enrollment_token_id: null,
          public_key: deviceKey.publicJwk,
          hostname: name,
          os: 'Windows 11 Pro 10.0.22631',
          hardware_id: randomBytes(16).toString('hex'),
          status: 'active' as const,
          last_seen_at: at,
          created_at: at,
          retired_at: null,
        },
      };
    });
    await database.db.transaction().execute(async (trx) => {
      await insertInChunks(
        trx,
        'devices',
        rows.map((row) => row.device),
      );
      await insertInChunks(
        trx,
        'device_terms',
        rows.flatMap((row) => row.terms),
      );
      await insertInChunks(
        trx,
        'volumes',
        rows.map((row) => row.volume),
      );
      await insertInChunks(
        trx,
        'recovery_keys',
        rows.map((row) => row.key),
      );
      await insertInChunks(
        trx,
        'sealed_secrets',
        rows.map((row) => row.secret),
      );
      await insertInChunks(
        trx,
        'enrolled_devices',
        rows.map((row) => row.enrolled),
      );
    });
  }
  if (database.dialect === 'postgres') await sql`analyze`.execute(database.db);
  return fleet;
}

/** Keys the storm confirmed that the database does not hold with the password the device made. */
async function countLost(
  database: Database,
  organisationId: string,
  confirmedFiles: string[],
): Promise<{ confirmed: number; missing: number }> {
  const confirmed = confirmedFiles.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (line.split(' ')[0] ?? '').replaceAll('-', '')),
  );
  let found = 0;
  for (let first = 0; first < confirmed.length; first += 500) {
    const batch = confirmed.slice(first, first + 500);
    const row = await database.db
      .selectFrom('recovery_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('owner_org_id', '=', organisationId)
      .where('deleted_at', 'is', null)
      .where('protector_hex', 'in', batch)
      .executeTakeFirstOrThrow();
    found += Number(row.count);
  }
  return { confirmed: confirmed.length, missing: confirmed.length - found };
}

/** Reveals a sample of the new keys through the API and compares them with what devices made. */
async function revealSample(
  url: string,
  headers: Record<string, string>,
  organisationId: string,
  confirmedFiles: string[],
  size: number,
): Promise<number> {
  const lines = readFileSync(confirmedFiles[0] ?? '', 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  let wrong = 0;
  for (let n = 0; n < Math.min(size, lines.length); n++) {
    const [keyId = '', password = ''] = (lines[Math.floor((n * lines.length) / size)] ?? '').split(
      ' ',
    );
    const page = await asOwner<{ items: { id: string; protectorId: string }[] }>(
      url,
      headers,
      'GET',
      `/api/v1/orgs/${organisationId}/keys?q=${keyId.slice(0, 8)}`,
    );
    const key = page.items.find((item) => item.protectorId === keyId);
    const revealed = key
      ? await asOwner<{ recoveryPassword: string }>(
          url,
          headers,
          'POST',
          `/api/v1/orgs/${organisationId}/keys/${key.id}/reveal`,
          { reason: 'other', reasonText: 'benchmark check' },
        )
      : undefined;
    if (revealed?.recoveryPassword !== password) wrong += 1;
  }
  return wrong;
}

// ---------------------------------------------------------------------------------------------
// The run

interface FleetFigures {
  label: string;
  checkIn: PhaseResult;
  checkInHeld: PhaseResult;
  storm: PhaseResult;
  lost: { confirmed: number; missing: number; stillMarked: number };
  wrongPasswords: number;
}

function printCheckIn(what: string, result: PhaseResult): void {
  console.log(
    `  ${what}: ${(result.devices / result.seconds).toFixed(0)} check-ins/s, ` +
      `p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ` +
      `server CPU ${(result.serverCpuUs ?? 0).toFixed(0)} µs a check-in, ${result.failures} failed, ` +
      `load average ${loadavg()[0]?.toFixed(2)}` +
      (result.firstFailure ? ` (first: ${result.firstFailure})` : ''),
  );
}

async function measureFleet(options: {
  label: string;
  devices: number;
  databaseUrl: string | undefined;
  workers: number;
  connections: number;
  agentProcesses: number;
}): Promise<FleetFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-bench-agents-'));
  try {
    const first = await startKeyhold(dataDir, options.databaseUrl, 1);
    let headers: Record<string, string>;
    let organisationId: string;
    try {
      headers = (await signIn(first.url, true, fleetAdmin)).headers;
      organisationId = (
        await asOwner<{ organisation: { id: string } }>(
          first.url,
          headers,
          'POST',
          '/api/v1/orgs',
          {
            name: 'Fleet',
          },
        )
      ).organisation.id;
    } finally {
      await stop(first);
    }
    const seedStart = performance.now();
    const database = openDatabase({ dataDir, databaseUrl: options.databaseUrl });
    let devices: FleetFile['devices'];
    try {
      devices = await seedFleet(database, dataDir, organisationId, options.devices);
    } finally {
      await database.close();
    }
    console.log(
      `  seeded ${options.devices.toLocaleString('en')} enrolled devices in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
    );

    const server = await startKeyhold(dataDir, options.databaseUrl, options.workers);
    const fleetFile = join(dataDir, 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify({ url: server.url, devices } satisfies FleetFile));
    try {
      const spec = {
        fleet: fleetFile,
        connections: options.connections,
        parts: options.agentProcesses,
        dir: dataDir,
        server,
      };
      const checkIn = await phase({ ...spec, phase: 'check-in-signed' });
      printCheckIn('check-in, nothing changed, signing a challenge (2 requests)', checkIn);
      const checkInHeld = await phase({ ...spec, phase: 'check-in-held' });
      printCheckIn('check-in, nothing changed, holding its access token (1 request)', checkInHeld);
      const marked = await asOwner<{ marked: number }>(
        server.url,
        headers,
        'POST',
        `/api/v1/orgs/${organisationId}/rotate`,
        {},
      );
      const storm = await phase({ ...spec, phase: 'storm' });
      console.log(
        `  rotation storm (${marked.marked.toLocaleString('en')} keys marked): ${storm.confirmed.toLocaleString('en')} new keys confirmed in ${storm.seconds.toFixed(1)} s ` +
          `(${(storm.confirmed / storm.seconds).toFixed(0)}/s, p99 ${storm.p99.toFixed(1)} ms, server CPU ${(storm.serverCpuUs ?? 0).toFixed(0)} µs a rotation), ${storm.failures} failed` +
          (storm.firstFailure ? ` (first: ${storm.firstFailure})` : ''),
      );
      // Before the sample is revealed: a reveal marks its key for rotation again.
      const report = await asOwner<{ counts: { keysRotationRequired: number } }>(
        server.url,
        headers,
        'GET',
        `/api/v1/orgs/${organisationId}/report`,
      );
      const stillMarked = report.counts.keysRotationRequired;
      const wrongPasswords = await revealSample(
        server.url,
        (await signIn(server.url, false, fleetAdmin)).headers,
        organisationId,
        storm.confirmedFiles,
        20,
      );
      await stop(server);
      const counting = openDatabase({ dataDir, databaseUrl: options.databaseUrl });
      let lost: FleetFigures['lost'];
      try {
        lost = {
          ...(await countLost(counting, organisationId, storm.confirmedFiles)),
          stillMarked,
        };
      } finally {
        await counting.close();
      }
      console.log(
        `  counted in the database: ${lost.confirmed - lost.missing} of ${lost.confirmed} confirmed keys stored, ` +
          `${lost.missing} lost, ${lost.stillMarked} keys still waiting for rotation, ` +
          `${wrongPasswords} wrong passwords among 20 revealed`,
      );
      return { label: options.label, checkIn, checkInHeld, storm, lost, wrongPasswords };
    } finally {
      await stop(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const devices = Number(process.env.KEYHOLD_BENCH_DEVICES ?? 100_000);
  const pgDevices = Number(process.env.KEYHOLD_BENCH_PG_DEVICES ?? devices);
  // Below the server's 64 connections an address may hold: the bench's own requests need some.
  const connections = Number(process.env.KEYHOLD_BENCH_CONNECTIONS ?? 32);
  // One server process by default: the agents process needs a core of its own, and writes to
  // one SQLite file take turns between workers anyway.
  const workers = Number(process.env.KEYHOLD_BENCH_WORKERS ?? 1);
  const agentProcesses = Number(process.env.KEYHOLD_BENCH_AGENT_PROCESSES ?? 1);
  const pgUrl = process.env.KEYHOLD_BENCH_DATABASE_URL;

  buildServer('agents bench');

  console.log(
    `agents bench: ${devices.toLocaleString('en')} devices, ${connections} agents at a time in ` +
      `${agentProcesses} process${agentProcesses === 1 ? '' : 'es'}, keyhold serve --workers ${workers} ` +
      `on ${availableParallelism()} cores, load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
  );
  const runs: FleetFigures[] = [];
  console.log('SQLite:');
  runs.push(
    await measureFleet({
      label: 'SQLite',
      devices,
      databaseUrl: undefined,
      workers,
      connections,
      agentProcesses,
    }),
  );
  if (pgUrl && pgDevices > 0) {
    console.log('PostgreSQL:');
    runs.push(
      await withSchema(pgUrl, (databaseUrl) =>
        measureFleet({
          label: 'PostgreSQL',
          devices: pgDevices,
          databaseUrl,
          workers,
          connections,
          agentProcesses,
        }),
      ),
    );
  } else {
    console.log('PostgreSQL: skipped (set KEYHOLD_BENCH_DATABASE_URL)');
  }

  const sqlite = runs[0];
  if (sqlite) {
    const checks: [string, boolean][] = [];
    for (const [what, result] of [
      ['signing a challenge', sqlite.checkIn],
      ['holding a token', sqlite.checkInHeld],
    ] as const) {
      const perSecond = result.devices / result.seconds;
      checks.push(
        [
          `check-ins ${what} >= ${targets.checkInsPerSecond}/s (${perSecond.toFixed(0)})`,
          perSecond >= targets.checkInsPerSecond && result.failures === 0,
        ],
        [
          `check-in ${what} p99 <= ${targets.checkInP99Ms} ms (${result.p99.toFixed(1)})`,
          result.p99 <= targets.checkInP99Ms,
        ],
      );
    }
    checks.push(
      [
        `rotation storm: every device confirmed (${sqlite.storm.confirmed} of ${sqlite.storm.devices})`,
        sqlite.storm.confirmed === sqlite.storm.devices,
      ],
      [
        `rotation storm: 0 keys lost (${sqlite.lost.missing} lost, ${sqlite.wrongPasswords} wrong)`,
        sqlite.lost.missing === 0 && sqlite.wrongPasswords === 0 && sqlite.lost.stillMarked === 0,
      ],
    );
    console.log(
      `targets (SQLite; load average now ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}):`,
    );
    for (const [name, met] of checks) console.log(`  ${met ? 'ok   ' : 'MISSED'} ${name}`);
  }
  for (const run of runs.slice(1)) {
    const lostNone =
      run.lost.missing === 0 &&
      run.wrongPasswords === 0 &&
      run.storm.confirmed === run.storm.devices;
    console.log(
      `${run.label}: ${(run.checkIn.devices / run.checkIn.seconds).toFixed(0)} signed check-ins/s, p99 ${run.checkIn.p99.toFixed(1)} ms; ` +
        `${(run.checkInHeld.devices / run.checkInHeld.seconds).toFixed(0)} held-token check-ins/s, p99 ${run.checkInHeld.p99.toFixed(1)} ms; ` +
        `storm ${lostNone ? 'lost no key' : `LOST ${run.lost.missing} keys`}`,
    );
  }
}

const mode = process.argv[2];
if (mode === '--agents') {
  process.stdout.write(
    JSON.stringify(await runAgents(JSON.parse(process.argv[3] ?? '{}') as PhaseSpec)),
  );
} else {
  await main();
}
