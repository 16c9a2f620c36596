import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { CreatedEnrollmentToken, EnrolledDevice } from '../../src/api/enrollment.js';
import type { CoverageReport, DeviceAnswer, KeyPage } from '../../src/api/keys.js';
import type { PoliciesAnswer } from '../../src/api/orgs.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { backoffMs } from '../../src/cli/agent/run.js';
import { startTestApp, type TestApp } from '../server/harness.js';
import { startOrganisation, type TestOrganisation } from '../server/organisation.js';
import { repoRoot, runKeyhold } from '../support/cli.js';

type ProtectorType = 'Tpm' | 'TpmPin' | 'RecoveryPassword' | 'ExternalKey' | 'Password';

interface SimulatedVolume {
  mountPoint: string;
  label: string;
  os: boolean;
  guid: string;
  protectors: { id: string; type: ProtectorType; password?: string }[];
}

interface SimulatedComputer {
  language: 'en' | 'de';
  powershellModule: boolean;
  computerName: string;
  volumes: SimulatedVolume[];
  killAgentAt?: 'before-add' | 'after-add' | 'before-delete' | 'after-delete';
}

const standIns = join(repoRoot, 'test', 'fixtures', 'windows-stand-ins');

function protector(type: ProtectorType) {
  return {
    id: randomUUID().toUpperCase(),
    type,
    ...(type === 'RecoveryPassword' ? { password: generateRecoveryPassword() } : {}),
  };
}

function computer(language: 'en' | 'de', powershellModule: boolean): SimulatedComputer {
  return {
    language,
    powershellModule,
    computerName: 'PC-SIMULATED',
    volumes: [
      {
        mountPoint: 'C:',
        label: 'OS',
        os: true,
        guid: randomUUID(),
        protectors: [protector('TpmPin'), protector('RecoveryPassword')],
      },
      {
        mountPoint: 'D:',
        label: 'Data',
        os: false,
        guid: randomUUID(),
        protectors: [
          protector('ExternalKey'),
          protector('RecoveryPassword'),
          protector('Password'),
        ],
      },
      {
        // A data drive with no recovery password: the policy asks the agent to add one.
        mountPoint: 'E:',
        label: 'Archive',
        os: false,
        guid: randomUUID(),
        protectors: [protector('Password')],
      },
    ],
  };
}

describe('keyhold agent on a simulated Windows computer', () => {
  let server: TestApp;
  let org: TestOrganisation;
  let url = '';
  const roots: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-agent-'));
    roots.push(dir);
    return dir;
  };

  before(async () => {
    server = await startTestApp('sqlite');
    url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    org = await startOrganisation(server, 'Acme IT');
    await setEnsureRecoveryPassword(true);
  });
  after(async () => {
    await server.close();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  const owner = () => org.people.owner.browser;

  async function setEnsureRecoveryPassword(on: boolean) {
    const changed = await owner().request<PoliciesAnswer>(
      'PATCH',
      `/api/v1/orgs/${org.orgId}/policies`,
      { body: { ensureRecoveryPassword: on } },
    );
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.policies.ensureRecoveryPassword, on);
  }

  async function token(): Promise<string> {
    const created = await owner().request<CreatedEnrollmentToken>(
      'POST',
      `/api/v1/orgs/${org.orgId}/enrollment-tokens`,
      { body: { name: 'Windows laptops', maxUses: 10 } },
    );
    assert.equal(created.status, 201);
    return created.body.secret;
  }

  /** A computer with its state folder, its simulated volumes and the agent's environment. */
  async function enrolledComputer(simulated: SimulatedComputer) {
    const dir = freshDir();
    const volumesFile = join(dir, 'simulated-windows.json');
    writeFileSync(volumesFile, JSON.stringify(simulated));
    const stateDir = join(dir, 'state');
    const env = {
      PATH: `${standIns}${delimiter}${process.env.PATH ?? ''}`,
      KEYHOLD_AGENT_PLATFORM: 'windows',
      KEYHOLD_SIMULATED_WINDOWS: volumesFile,
      SystemDrive: 'C:',
    };
    const enrolled = await runKeyhold(
      [
        'agent',
        'enroll',
        '--server',
        url,
        '--token',
        await token(),
        '--state-dir',
        stateDir,
        '--hardware-id',
        randomUUID(),
        '--json',
      ],
      { env },
    );
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const run = (args: string[] = []) =>
      runKeyhold(['agent', 'run', '--state-dir', stateDir, '--json', ...args], { env });
    const volumes = () =>
      (JSON.parse(readFileSync(volumesFile, 'utf8')) as SimulatedComputer).volumes;
    const setKill = (point: SimulatedComputer['killAgentAt']) => {
      const current = JSON.parse(readFileSync(volumesFile, 'utf8')) as SimulatedComputer;
      writeFileSync(volumesFile, JSON.stringify({ ...current, killAgentAt: point }));
    };
    const { enrolledDeviceId } = JSON.parse(enrolled.stdout) as { enrolledDeviceId: string };
    return { stateDir, env, run, volumes, setKill, enrolledDeviceId, volumesFile };
  }

  /** The password the organisation's library holds for a Key ID (read out by the owner). */
  async function storedPassword(keyId: string): Promise<string | undefined> {
    const found = await owner().request<KeyPage>(
      'GET',
      `/api/v1/orgs/${org.orgId}/keys?q=${keyId.slice(0, 8)}`,
    );
    const key = found.body.items.find((item) => item.protectorId === keyId);
    if (!key) return undefined;
    const revealed = await owner().request<{ recoveryPassword: string }>(
      'POST',
      `/api/v1/orgs/${org.orgId}/keys/${key.id}/reveal`,
      { body: { reason: 'pin-forgotten' } },
    );
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    return revealed.body.recoveryPassword;
  }

  async function deviceIdOf(enrolledDeviceId: string): Promise<string> {
    const listed = await owner().request<{ items: EnrolledDevice[] }>(
      'GET',
      `/api/v1/orgs/${org.orgId}/enrolled-devices`,
    );
    const found = listed.body.items.find((item) => item.id === enrolledDeviceId);
    assert.ok(found);
    return found.deviceId;
  }

  it('enrolls with a device key only it can read, and escrows every drive once', async () => {
    const pc = await enrolledComputer(computer('en', true));
    const keyFile = join(pc.stateDir, 'device-key.pem');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /BEGIN PRIVATE KEY/);

    const first = await pc.run();
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { escrowed: string[] };
    const volumes = pc.volumes();
    const recoveryPasswords = volumes.flatMap((volume) =>
      volume.protectors.filter((p) => p.type === 'RecoveryPassword'),
    );
    // C: and D: had one each; E: got one because the policy asks for it.
    assert.equal(recoveryPasswords.length, 3);
    assert.deepEqual(report.escrowed.sort(), recoveryPasswords.map((p) => p.id).sort());
    // Nothing else on the drives changed.
    assert.deepEqual(
      volumes.map((volume) => volume.protectors.map((p) => p.type).sort()),
      [
        ['RecoveryPassword', 'TpmPin'],
        ['ExternalKey', 'Password', 'RecoveryPassword'],
        ['Password', 'RecoveryPassword'],
      ],
    );

    const device = await owner().request<DeviceAnswer>(
      'GET',
      `/api/v1/orgs/${org.orgId}/devices/${await deviceIdOf(pc.enrolledDeviceId)}`,
    );
    const drives = device.body.device.drives;
    assert.deepEqual(
      drives.map((drive) => [drive.label, drive.type, drive.volumeGuid]),
      volumes.map((volume) => [
        volume.mountPoint,
        volume.os ? 'os' : 'fixed',
        `\\\\?\\Volume{${volume.guid}}\\`,
      ]),
    );

    const again = await pc.run();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { escrowed: string[] }).escrowed, []);

    const status = await runKeyhold(['agent', 'status', '--state-dir', pc.stateDir, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as {
      escrowedKeys: number;
      lastRun: { outcome: string };
    };
    assert.equal(shown.escrowedKeys, 3);
    assert.equal(shown.lastRun.outcome, 'ok');
    assert.doesNotMatch(readFileSync(join(pc.stateDir, 'state.json'), 'utf8'), /\d{6}-\d{6}-\d{6}/);
    // Read out last: reading a key out marks it for rotation.
    for (const p of recoveryPasswords) assert.equal(await storedPassword(p.id), p.password);
  });

  it('reads a German Windows without the BitLocker PowerShell module through manage-bde', async () => {
    const pc = await enrolledComputer(computer('de', false));
    const run = await pc.run();
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { protected: string[] }).protected, ['E:']);
    assert.equal(
      pc.volumes()[2]?.protectors.filter((p) => p.type === 'RecoveryPassword').length,
      1,
      'manage-bde added a recovery password to E:',
    );
    for (const volume of pc.volumes()) {
      for (const p of volume.protectors.filter((q) => q.type === 'RecoveryPassword')) {
        assert.equal(await storedPassword(p.id), p.password, `${volume.mountPoint} ${p.id}`);
      }
    }
  });

  it('leaves a drive without a recovery password alone when the policy is off, and the coverage report shows it', async () => {
    await setEnsureRecoveryPassword(false);
    try {
      const pc = await enrolledComputer(computer('en', true));
      const before = pc.volumes();
      const first = await runKeyhold(['agent', 'run', '--state-dir', pc.stateDir], {
        env: { ...pc.env, KEYHOLD_LANG: 'nb' },
      });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /E: har ikke noe gjenopprettingspassord/);
      assert.deepEqual(pc.volumes(), before, 'no drive was changed');

      const deviceId = await deviceIdOf(pc.enrolledDeviceId);
      const coverage = async () => {
        const report = await owner().request<CoverageReport>(
          'GET',
          `/api/v1/orgs/${org.orgId}/report`,
        );
        assert.equal(report.status, 200);
        return report.body.drivesWithoutKey
          .filter((item) => item.deviceId === deviceId)
          .map((item) => item.drive.label);
      };
      assert.deepEqual(await coverage(), ['E:']);

      const again = await pc.run();
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout) as { uncovered: string[]; escrowed: string[] };
      assert.deepEqual(report.uncovered, ['E:']);
      assert.deepEqual(report.escrowed, []);

      await setEnsureRecoveryPassword(true);
      const covered = await pc.run();
      assert.equal(covered.code, 0, covered.stderr);
      const added = pc.volumes()[2]?.protectors.find((p) => p.type === 'RecoveryPassword');
      assert.ok(added, 'with the policy on, E: gets a recovery password');
      assert.deepEqual((JSON.parse(covered.stdout) as { escrowed: string[] }).escrowed, [added.id]);
      assert.deepEqual(await coverage(), []);
      assert.equal(await storedPassword(added.id), added.password);
    } finally {
      await setEnsureRecoveryPassword(true);
    }
  });

  for (const killAt of ['before-add', 'after-add', 'before-delete', 'after-delete'] as const) {
    it(`rotates a revealed key with no key lost and nothing left over when killed ${killAt.replace('-', ' ')}`, async () => {
      const pc = await enrolledComputer(computer('en', true));
      assert.equal((await pc.run()).code, 0);
      const before = pc.volumes();
      const used = before[0]?.protectors.find((p) => p.type === 'RecoveryPassword');
      assert.ok(used);
      // Reading the key out marks it for rotation.
      assert.equal(await storedPassword(used.id), used.password);

      pc.setKill(killAt);
      const killed = await pc.run();
      assert.equal(killed.code, null, `the agent was killed ${killAt}: ${killed.stderr}`);

      const finished = await pc.run();
      assert.equal(finished.code, 0, finished.stderr);
      const report = JSON.parse(finished.stdout) as { refused: unknown[] };
      assert.deepEqual(report.refused, []);

      const [osDrive, ...others] = pc.volumes();
      assert.ok(osDrive);
      const passwords = osDrive.protectors.filter((p) => p.type === 'RecoveryPassword');
      assert.equal(passwords.length, 1, 'one recovery password: none lost, none left over');
      assert.notEqual(passwords[0]?.id, used.id, 'the used one is gone');
      assert.equal(await storedPassword(passwords[0]?.id ?? ''), passwords[0]?.password);
      // The PIN stays; the other drives are untouched.
      assert.deepEqual(osDrive.protectors.map((p) => p.type).sort(), [
        'RecoveryPassword',
        'TpmPin',
      ]);
      assert.deepEqual(others, before.slice(1));
    });
  }

  it('refuses to remove the used key when the drive would be left with fewer ways in', async () => {
    const pc = await enrolledComputer(computer('en', true));
    assert.equal((await pc.run()).code, 0);
    const used = pc.volumes()[0]?.protectors.find((p) => p.type === 'RecoveryPassword');
    assert.ok(used);
    assert.equal(await storedPassword(used.id), used.password);
    pc.setKill('before-delete');
    assert.equal((await pc.run()).code, null);
    // Meanwhile someone removed the PIN: dropping the used key now would leave one way in.
    const simulated = JSON.parse(readFileSync(pc.volumesFile, 'utf8')) as SimulatedComputer;
    const osDrive = simulated.volumes[0];
    assert.ok(osDrive);
    osDrive.protectors = osDrive.protectors.filter((p) => p.type !== 'TpmPin');
    writeFileSync(pc.volumesFile, JSON.stringify(simulated));

    const refused = await runKeyhold(['agent', 'run', '--state-dir', pc.stateDir], {
      env: { ...pc.env, KEYHOLD_LANG: 'nb' },
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Rotasjon av C: avvist: stasjonen ville hatt 1 måter/);
    const left = pc.volumes()[0]?.protectors.filter((p) => p.type === 'RecoveryPassword') ?? [];
    assert.equal(left.length, 2, 'the used key and the new one both stay');
    assert.ok(left.some((p) => p.id === used.id));
    for (const p of left) assert.equal(await storedPassword(p.id), p.password);
  });

  /**
   * A way to the server that loses every escrow request (the connection drops), as a network
   * that fails halfway through a pass would; everything else passes through.
   */
  async function escrowLosingProxy() {
    const proxy = createServer((request, response) => {
      if (request.url === '/api/v1/agent/escrow') {
        request.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(
            (entry): entry is [string, string] =>
              typeof entry[1] === 'string' && entry[0] !== 'host',
          ),
        );
        void fetch(new URL(request.url ?? '/', url), {
          method: request.method ?? 'GET',
          headers,
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        }).then(async (answer) => {
          response.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? '',
          });
          response.end(Buffer.from(await answer.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => {
      proxy.listen(0, '127.0.0.1', resolve);
    });
    return {
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) =>
          proxy.close(() => {
            resolve();
          }),
        ),
    };
  }

  it('keeps a new key sealed in its state when the escrow does not arrive, and finishes the rotation once it does', async () => {
    const pc = await enrolledComputer(computer('en', true));
    assert.equal((await pc.run()).code, 0);
    const used = pc.volumes()[0]?.protectors.find((p) => p.type === 'RecoveryPassword');
    assert.ok(used);
    assert.equal(await storedPassword(used.id), used.password);

    const statePath = join(pc.stateDir, 'state.json');
    const pointAt = (server: string) => {
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as { server: string };
      writeFileSync(statePath, JSON.stringify({ ...state, server }));
    };
    const proxy = await escrowLosingProxy();
    try {
      pointAt(proxy.url);
      for (const attempt of [1, 2]) {
        const offline = await pc.run();
        assert.equal(offline.code, 3, offline.stderr);
        assert.equal((JSON.parse(offline.stdout) as { outcome: string }).outcome, 'offline');
        const passwords = pc.volumes()[0]?.protectors.filter((p) => p.type === 'RecoveryPassword');
        // The new key is on the drive beside the used one, which stays until the server has it.
        assert.equal(passwords?.length, 2, `attempt ${attempt}: one new key, never a second`);
        assert.ok(passwords.some((p) => p.id === used.id));
        const state = readFileSync(statePath, 'utf8');
        assert.doesNotMatch(state, /\d{6}-\d{6}-\d{6}/, 'the state holds the key only sealed');
        const pending = (JSON.parse(state) as { pending: { step: string; sealed: string }[] })
          .pending;
        assert.deepEqual(
          pending.map((key) => key.step),
          ['added'],
        );
      }
    } finally {
      await proxy.close();
      pointAt(url);
    }

    const finished = await pc.run();
    assert.equal(finished.code, 0, finished.stderr);
    const passwords = pc.volumes()[0]?.protectors.filter((p) => p.type === 'RecoveryPassword');
    assert.equal(passwords?.length, 1);
    assert.notEqual(passwords[0]?.id, used.id);
    assert.equal(await storedPassword(passwords[0]?.id ?? ''), passwords[0]?.password);
  });

  it('waits longer after each failure, up to six hours, and spreads a fleet out', () => {
    const minute = 60_000;
    for (let failures = 1; failures <= 12; failures++) {
      const ceiling = Math.min(6 * 60 * minute, minute * 2 ** (failures - 1));
      for (let sample = 0; sample < 20; sample++) {
        const wait = backoffMs(failures);
        assert.ok(wait >= ceiling / 2 && wait < ceiling, `${failures} failures: ${wait} ms`);
      }
    }
    const fleet = new Set(Array.from({ length: 100 }, () => backoffMs(5)));
    assert.ok(fleet.size > 50, 'a hundred agents that failed together do not return together');
  });

  it('says in Bokmål which tool it could not find when the drives cannot be read', async () => {
    const pc = await enrolledComputer(computer('en', true));
    const run = await runKeyhold(['agent', 'run', '--state-dir', pc.stateDir], {
      env: { ...pc.env, PATH: join(pc.stateDir, 'no-tools-here'), KEYHOLD_LANG: 'nb' },
    });
    assert.equal(run.code, 3);
    assert.match(
      run.stderr,
      /Stasjonene på denne datamaskinen kunne ikke leses \(\S+ ble ikke funnet\)\. Kjør agenten som administrator/,
    );
  });

  it('keeps its state and backs off while the server cannot be reached', async () => {
    const pc = await enrolledComputer(computer('en', true));
    const statePath = join(pc.stateDir, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { server: string };
    writeFileSync(statePath, JSON.stringify({ ...state, server: 'http://127.0.0.1:9' }));
    const offline = await pc.run();
    assert.equal(offline.code, 3);
    const report = JSON.parse(offline.stdout) as { outcome: string; retryAfter: string };
    assert.equal(report.outcome, 'offline');
    const wait = Date.parse(report.retryAfter) - Date.now();
    assert.ok(wait > 20_000 && wait <= 60_000, `first retry within a minute (${wait} ms)`);
    const kept = JSON.parse(readFileSync(statePath, 'utf8')) as { failures: number };
    assert.equal(kept.failures, 1);
  });
});
