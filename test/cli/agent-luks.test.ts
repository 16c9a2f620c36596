import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CreatedEnrollmentToken } from '../../src/api/enrollment.js';
import type { FindAnswer } from '../../src/api/find.js';
import type { DeviceAnswer, KeyPage, KeySummary } from '../../src/api/keys.js';
import { parseLuksDump } from '../../src/luks/luks-dump.js';
import { startTestApp, type TestApp } from '../server/harness.js';
import { startOrganisation, type TestOrganisation } from '../server/organisation.js';
import { repoRoot, runKeyhold } from '../support/cli.js';
import { cryptsetupPath, cryptsetupSkip } from '../support/requirements.js';

// The agent runs the real cryptsetup on LUKS2 image files, through a stand-in that only makes
// new key slots fast and kills the agent at a chosen step (test/fixtures/luks-stand-in).
const standIn = join(repoRoot, 'test', 'fixtures', 'luks-stand-in');
const killPoints = ['before-add', 'after-add', 'before-kill', 'after-kill'] as const;

function cryptsetup(args: string[], input?: string) {
  const result = spawnSync(cryptsetupPath() ?? 'cryptsetup', args, {
    input,
    encoding: 'utf8',
  });
  return { code: result.status, stderr: result.stderr };
}

/** Whether `passphrase` opens the image (through `slot` only, when given). */
function opens(image: string, passphrase: string, slot?: number): boolean {
  const slotArgs = slot === undefined ? [] : ['--key-slot', String(slot)];
  const tested = cryptsetup(
    ['open', '--test-passphrase', '--batch-mode', '--key-file', '-', ...slotArgs, image],
    passphrase,
  );
  return tested.code === 0;
}

function slotsOf(image: string): number[] {
  const dumped = spawnSync(cryptsetupPath() ?? 'cryptsetup', ['luksDump', image], {
    encoding: 'utf8',
  });
  return parseLuksDump(dumped.stdout).keySlots;
}

describe('keyhold agent on LUKS2 volumes', { skip: cryptsetupSkip() }, () => {
  let server: TestApp;
  let org: TestOrganisation;
  let url = '';
  const roots: string[] = [];

  before(async () => {
    server = await startTestApp('sqlite');
    url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    org = await startOrganisation(server, 'Acme Linux');
  });
  after(async () => {
    await server.close();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  const owner = () => org.people.owner.browser;

  /** An enrolled Linux computer with one LUKS2 image, opened by the person's key file. */
  async function linuxComputer() {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-agent-luks-'));
    roots.push(dir);
    const image = join(dir, 'home.img');
    const keyFile = join(dir, 'person.key');
    const personPassphrase = 'correct horse battery staple';
    writeFileSync(keyFile, personPassphrase, { mode: 0o600 });
    writeFileSync(image, '');
    spawnSync('truncate', ['-s', '32M', image]);
    const formatted = cryptsetup([
      'luksFormat',
      '--type',
      'luks2',
      '--batch-mode',
      '--pbkdf',
      'pbkdf2',
      '--pbkdf-force-iterations',
      '1000',
      '--key-file',
      keyFile,
      image,
    ]);
    assert.equal(formatted.code, 0, formatted.stderr);
    const uuid = parseLuksDump(
      spawnSync(cryptsetupPath() ?? 'cryptsetup', ['luksDump', image], { encoding: 'utf8' }).stdout,
    ).uuid;

    const killFile = join(dir, 'kill-at');
    const env = {
      PATH: `${standIn}${delimiter}${process.env.PATH ?? ''}`,
      KEYHOLD_TEST_LUKS_KILL: killFile,
    };
    const created = await owner().request<CreatedEnrollmentToken>(
      'POST',
      `/api/v1/orgs/${org.orgId}/enrollment-tokens`,
      { body: { name: 'Linux laptops' } },
    );
    assert.equal(created.status, 201);
    const stateDir = join(dir, 'state');
    const enrolled = await runKeyhold(
      [
        'agent',
        'enroll',
        '--server',
        url,
        '--token',
        created.body.secret,
        '--state-dir',
        stateDir,
        '--hardware-id',
        randomUUID(),
      ],
      { env },
    );
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const run = (args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) =>
      runKeyhold(['agent', 'run', '--state-dir', stateDir, '--json', ...args], {
        env: { ...env, ...extraEnv },
      });
    const runNamingVolume = () => run(['--luks', image, '--luks-key-file', keyFile]);
    const killAt = (point: (typeof killPoints)[number]) => {
      writeFileSync(killFile, point);
    };
    return {
      dir,
      image,
      keyFile,
      personPassphrase,
      uuid,
      stateDir,
      env,
      run,
      runNamingVolume,
      killAt,
    };
  }

  /** The library's LUKS keys of a volume, found by a prefix of its LUKS UUID, newest first. */
  async function keysOfVolume(uuid: string): Promise<KeySummary[]> {
    const found = await owner().request<KeyPage>(
      'GET',
      `/api/v1/orgs/${org.orgId}/keys?q=${uuid.slice(0, 8).toUpperCase()}`,
    );
    assert.equal(found.status, 200);
    return found.body.items.filter((key) => key.luks?.uuid === uuid);
  }

  /** A file download by the owner, as the browser makes it. */
  function download(path: string) {
    const browser = owner();
    return server.app.inject({
      method: 'GET',
      url: path,
      headers: {
        'user-agent': browser.userAgent,
        cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
    });
  }

  async function reveal(key: KeySummary): Promise<string> {
    const revealed = await owner().request<{ recoveryPassword: string }>(
      'POST',
      `/api/v1/orgs/${org.orgId}/keys/${key.id}/reveal`,
      { body: { reason: 'pin-forgotten' } },
    );
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    return revealed.body.recoveryPassword;
  }

  it('adds a recovery key slot, escrows it by LUKS UUID and slot, and the revealed passphrase opens the volume', async () => {
    const pc = await linuxComputer();
    const first = await pc.runNamingVolume();
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { escrowed: string[]; refused: unknown[] };
    assert.equal(report.escrowed.length, 1);
    assert.deepEqual(report.refused, []);
    assert.deepEqual(slotsOf(pc.image), [0, 1], "the person's slot and the recovery slot");
    // The agent keeps the path of the person's key file, never its contents or the passphrase.
    const state = readFileSync(join(pc.stateDir, 'state.json'), 'utf8');
    assert.doesNotMatch(state, /\d{5}(-\d{5}){7}|correct horse/);

    const [key, ...others] = await keysOfVolume(pc.uuid);
    assert.ok(key);
    assert.deepEqual(others, []);
    assert.equal(key.kind, 'luks');
    assert.equal(key.protectorId, report.escrowed[0]);
    assert.deepEqual(key.luks, { uuid: pc.uuid, slot: 1 });
    assert.equal(key.volume.label, pc.image);

    // The device page lists the volume by its UUID, with the key as its current one.
    const device = await owner().request<DeviceAnswer>(
      'GET',
      `/api/v1/orgs/${org.orgId}/devices/${key.deviceId}`,
    );
    const [drive] = device.body.device.drives;
    assert.equal(drive?.volumeGuid, pc.uuid);
    assert.equal(drive.currentKey?.id, key.id);

    const status = await runKeyhold(['agent', 'status', '--state-dir', pc.stateDir, '--json']);
    assert.deepEqual((JSON.parse(status.stdout) as { luksVolumes: unknown }).luksVolumes, [
      { device: pc.image, uuid: pc.uuid, recoverySlot: 1 },
    ]);

    // Nothing changed: the next run (the service's, without the flags) sends nothing.
    const again = await pc.run();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { escrowed: string[] }).escrowed, []);
    assert.deepEqual(slotsOf(pc.image), [0, 1]);

    const passphrase = await reveal(key);
    assert.match(passphrase, /^\d{5}(-\d{5}){7}$/);
    assert.equal(opens(pc.image, passphrase, 1), true, 'the escrowed passphrase opens slot 1');
    assert.equal(opens(pc.image, pc.personPassphrase, 0), true, "the person's own key still opens");

    // "Find my key" by the start of the UUID names the volume, its slot and the computer.
    const found = await owner().request<FindAnswer>(
      'GET',
      `/api/v1/find?keyId=${pc.uuid.slice(0, 8)}`,
    );
    assert.equal(found.status, 200);
    const foundKey = found.body.organisations.flatMap((o) => o.keys).find((k) => k.id === key.id);
    assert.deepEqual(foundKey?.luks, { uuid: pc.uuid, slot: 1 });
    assert.equal(foundKey.kind, 'luks');

    // The downloaded file and the printed sheet name the volume by its UUID and slot.
    const file = await download(`/api/v1/orgs/${org.orgId}/keys/${key.id}/recovery-file`);
    assert.equal(file.statusCode, 200);
    assert.match(String(file.headers['content-type']), /utf-8/);
    assert.match(
      String(file.headers['content-disposition']),
      new RegExp(`LUKS%20Recovery%20Passphrase%20${pc.uuid.slice(0, 8)}\\.txt`),
    );
    assert.match(file.body, new RegExp(`LUKS UUID: ${pc.uuid}\nKey slot: 1\n`));
    assert.ok(file.body.includes(`\n${passphrase}\n`));
    const sheet = await download(`/api/v1/orgs/${org.orgId}/keys/${key.id}/sheet.pdf`);
    assert.equal(sheet.statusCode, 200);
    assert.match(
      String(sheet.headers['content-disposition']),
      new RegExp(`LUKS%20Recovery%20Passphrase%20${pc.uuid.slice(0, 8)}\\.pdf`),
    );
    assert.equal(sheet.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
  });

  it('refuses a key file that does not open the volume, and --luks without a key file', async () => {
    const pc = await linuxComputer();
    const wrong = join(pc.dir, 'wrong.key');
    writeFileSync(wrong, 'not the passphrase\n', { mode: 0o600 });
    const refused = await pc.run(['--luks', pc.image, '--luks-key-file', wrong]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /does not open .*home\.img.*no newline at the end/);
    const half = await pc.run(['--luks', pc.image]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--luks and --luks-key-file go together/);
    assert.deepEqual(slotsOf(pc.image), [0], 'nothing was added');
  });

  for (const point of killPoints) {
    it(`rotates a revealed passphrase with no key lost and no slot left over when killed ${point.replace('-', ' ')}`, async () => {
      const pc = await linuxComputer();
      assert.equal((await pc.runNamingVolume()).code, 0);
      const [used] = await keysOfVolume(pc.uuid);
      assert.ok(used);
      // Reading the passphrase out marks it for rotation.
      const usedPassphrase = await reveal(used);

      pc.killAt(point);
      const killed = await pc.run();
      assert.equal(killed.code, null, `the agent was killed ${point}: ${killed.stderr}`);

      const finished = await pc.run();
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual((JSON.parse(finished.stdout) as { refused: unknown[] }).refused, []);

      const slots = slotsOf(pc.image);
      assert.equal(slots.length, 2, `one recovery slot beside the person's: ${slots.join(', ')}`);
      assert.equal(slots[0], 0);
      assert.equal(opens(pc.image, pc.personPassphrase, 0), true, "the person's slot is untouched");
      assert.equal(opens(pc.image, usedPassphrase), false, 'the used passphrase no longer opens');

      const [current, previous] = await keysOfVolume(pc.uuid);
      assert.ok(current && previous);
      assert.equal(previous.id, used.id);
      assert.equal(current.rotationRequired, false);
      assert.deepEqual(current.luks, { uuid: pc.uuid, slot: slots[1] });
      assert.equal(opens(pc.image, await reveal(current), slots[1]), true, 'no key lost');
    });
  }

  it('refuses to kill the used slot when the volume would be left with fewer ways in', async () => {
    const pc = await linuxComputer();
    // A second passphrase of the person's own, in slot 1: the recovery slot becomes slot 2.
    const spare = join(pc.dir, 'spare.key');
    writeFileSync(spare, 'spare passphrase', { mode: 0o600 });
    const addedSpare = cryptsetup([
      'luksAddKey',
      '--batch-mode',
      '--pbkdf',
      'pbkdf2',
      '--pbkdf-force-iterations',
      '1000',
      '--key-file',
      pc.keyFile,
      pc.image,
      spare,
    ]);
    assert.equal(addedSpare.code, 0, addedSpare.stderr);
    assert.equal((await pc.runNamingVolume()).code, 0);
    const [used] = await keysOfVolume(pc.uuid);
    assert.ok(used);
    assert.deepEqual(used.luks?.slot, 2);
    const usedPassphrase = await reveal(used);

    pc.killAt('before-kill');
    assert.equal((await pc.run()).code, null);
    // Meanwhile someone removed the spare passphrase: killing the used slot now would leave two
    // ways in where there were three.
    assert.equal(
      cryptsetup(['luksKillSlot', '--batch-mode', '--key-file', pc.keyFile, pc.image, '1']).code,
      0,
    );

    const refused = await runKeyhold(['agent', 'run', '--state-dir', pc.stateDir], {
      env: { ...pc.env, KEYHOLD_LANG: 'nb' },
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Rotasjon av .*home\.img avvist: stasjonen ville hatt 2 måter/);
    assert.equal(opens(pc.image, usedPassphrase, 2), true, 'the used slot stays');
    const [current] = await keysOfVolume(pc.uuid);
    assert.ok(current && current.id !== used.id);
    assert.equal(opens(pc.image, await reveal(current)), true, 'and the new one opens too');
  });
});
