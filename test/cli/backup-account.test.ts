import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { runKeyhold } from '../support/cli.js';
import { SignedInBrowser, startLogin } from '../support/device-login.js';
import type { KeyPage as Listed } from '../../src/api/keys.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-account-'));
  roots.push(dir);
  return dir;
}

describe('keyhold backup with an account: stored details and what counts as a backup', () => {
  let server: ServeProcess;
  let ola: SignedInBrowser;
  const env = { XDG_CONFIG_HOME: freshDir() };

  /** Connects `keyhold login` in the configuration folder of `env` as the browser's person. */
  async function connect(browser: SignedInBrowser, configEnv: NodeJS.ProcessEnv) {
    const login = startLogin([server.url, '--device-name', 'laptop'], configEnv);
    const userCode = await login.userCode;
    const approved = await browser.request('POST', '/api/v1/device/approve', {
      userCode,
      approve: true,
    });
    assert.equal(approved.status, 200);
    assert.equal((await login.done).code, 0);
  }

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
    ola = new SignedInBrowser(server.url);
    await ola.signup('ola@example.org', 'Ola Nordmann');
    await connect(ola, env);
  });
  after(async () => {
    await server.stop();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  function keyFile(protectorId: string, recoveryPassword: string): string {
    const { fileName, bytes } = writeRecoveryKeyFile({ protectorId, recoveryPassword });
    const path = join(freshDir(), fileName);
    writeFileSync(path, bytes);
    return path;
  }

  async function stored(protectorId: string) {
    const listed = await ola.request<Listed>('GET', `/api/v1/keys?q=${protectorId.slice(0, 8)}`);
    const [key] = listed.body.items;
    assert.ok(key, `${protectorId} is in the library`);
    return key;
  }

  it("never replaces a stored key's device and drive with this computer's name and a default type", async () => {
    const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
    const recoveryPassword = generateRecoveryPassword();
    // Added in the web app: on OLA-PC, drive D:, a fixed drive.
    await ola.addKey(protectorId, recoveryPassword);
    const file = keyFile(protectorId, recoveryPassword);

    const again = await runKeyhold(['backup', '--from', file, '--to', 'account', '--yes'], {
      env,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /ok account: already in ola@example\.org on .*; its stored details were kept/,
    );
    const kept = await stored(protectorId);
    assert.equal(kept.deviceName, 'OLA-PC');
    assert.deepEqual(kept.volume, { label: 'D:', type: 'fixed', volumeGuid: null });

    const renamed = await runKeyhold(
      ['backup', '--from', file, '--to', 'account', '--device-name', 'OLA-LAPTOP', '--yes'],
      { env },
    );
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.match(renamed.stdout, /already in ola@example\.org on .*; updated its device name/);
    const after = await stored(protectorId);
    assert.equal(after.deviceName, 'OLA-LAPTOP');
    assert.deepEqual(after.volume, { label: 'D:', type: 'fixed', volumeGuid: null });
  });

  it('names a new key after this computer when nobody said which one it is', async () => {
    const protectorId = '1B6E1FE3-58C5-4C1C-B0E5-2B5A1C3D4E5F';
    const file = keyFile(protectorId, generateRecoveryPassword());
    const result = await runKeyhold(['backup', '--from', file, '--to', 'account', '--yes'], {
      env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ok account: saved in ola@example\.org/);
    assert.equal((await stored(protectorId)).deviceName, hostname());
  });

  it('records a saved PDF sheet as a file, not as paper', async () => {
    const protectorId = '0C1D4E5F-8A9B-4123-8567-89ABCDEF0123';
    const recoveryPassword = generateRecoveryPassword();
    await ola.addKey(protectorId, recoveryPassword);
    const pdf = join(freshDir(), 'sheet.pdf');
    const result = await runKeyhold(
      [
        'backup',
        '--from',
        keyFile(protectorId, recoveryPassword),
        '--to',
        'print',
        '--pdf',
        pdf,
        '--yes',
      ],
      { env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /counts as a file backup until it is printed/);
    assert.match(result.stdout, /recorded the file backup in ola@example\.org/);
    const key = await stored(protectorId);
    const backups = await ola.request<{ items: { destination: string }[] }>(
      'GET',
      `/api/v1/keys/${key.id}/backups`,
    );
    assert.deepEqual(
      backups.body.items.map((backup) => backup.destination),
      ['file', 'account'],
    );
  });

  describe('into an organisation library with --org', () => {
    let orgId = '';
    let kariBrowser: SignedInBrowser;
    const kariEnv = { XDG_CONFIG_HOME: freshDir() };

    before(async () => {
      const created = await ola.request<{ organisation: { id: string } }>('POST', '/api/v1/orgs', {
        name: 'Acme IT',
      });
      assert.equal(created.status, 201);
      orgId = created.body.organisation.id;
      kariBrowser = new SignedInBrowser(server.url);
      await kariBrowser.signup('kari@example.org', 'Kari Nordmann');
      const added = await ola.request('POST', `/api/v1/orgs/${orgId}/members`, {
        email: 'kari@example.org',
        role: 'member',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await connect(kariBrowser, kariEnv);
    });

    it("adds the key to the organisation's library, not the person's own, and records the file backup there", async () => {
      const protectorId = '7E2A9C41-3D5B-4F60-8A1E-C9B7D3E5F102';
      const recoveryPassword = generateRecoveryPassword();
      const target = freshDir();
      const result = await runKeyhold(
        [
          'backup',
          '--from',
          keyFile(protectorId, recoveryPassword),
          '--to',
          'account,file',
          '--file',
          target,
          '--org',
          'acme it',
          '--device-name',
          'KIOSK-3',
          '--yes',
        ],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /ok account: saved in Acme IT's library on .* \(as ola@example\.org\)/,
      );
      assert.match(result.stdout, /recorded the file backup in Acme IT/);

      const own = await ola.request<Listed>('GET', `/api/v1/keys?q=${protectorId.slice(0, 8)}`);
      assert.deepEqual(own.body.items, [], "the person's own library did not get it");
      const inOrg = await ola.request<Listed>(
        'GET',
        `/api/v1/orgs/${orgId}/keys?q=${protectorId.slice(0, 8)}`,
      );
      const [key] = inOrg.body.items;
      assert.ok(key);
      assert.equal(key.deviceName, 'KIOSK-3');
      const revealed = await ola.request<{ recoveryPassword: string }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys/${key.id}/reveal`,
        { reason: 'pin-forgotten' },
      );
      assert.equal(revealed.body.recoveryPassword, recoveryPassword);
      const backups = await ola.request<{ items: { destination: string }[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/keys/${key.id}/backups`,
      );
      assert.deepEqual(backups.body.items.map((backup) => backup.destination).sort(), [
        'account',
        'file',
      ]);
    });

    it('names the organisations the person is in when the name matches none', async () => {
      const result = await runKeyhold(
        [
          'backup',
          '--id',
          '7E2A9C41-3D5B-4F60-8A1E-C9B7D3E5F102',
          '--password',
          generateRecoveryPassword(),
          '--to',
          'account',
          '--org',
          'Acme',
          '--yes',
        ],
        { env },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /--org Acme: ola@example\.org .* belongs to no organisation of that name\. Its organisations: Acme IT\./,
      );
      const nb = await runKeyhold(
        [
          'backup',
          '--id',
          '7E2A9C41-3D5B-4F60-8A1E-C9B7D3E5F102',
          '--password',
          generateRecoveryPassword(),
          '--to',
          'account',
          '--org',
          'Acme',
          '--yes',
        ],
        { env: { ...env, KEYHOLD_LANG: 'nb' } },
      );
      assert.match(
        nb.stderr,
        /er ikke med i noen organisasjon med det navnet\. Organisasjonene: Acme IT\./,
      );
    });

    it('tells a member that their role does not add keys, in English and Bokmål', async () => {
      const protectorId = '2F4D6B81-9A3C-4E5D-B7F1-0A2C4E6F8091';
      const args = [
        'backup',
        '--id',
        protectorId,
        '--password',
        generateRecoveryPassword(),
        '--to',
        'account',
        '--org',
        'Acme IT',
        '--yes',
      ];
      const refused = await runKeyhold(args, { env: kariEnv });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stdout,
        /Your role in Acme IT is member: only owners, admins and helpdesk add keys to its library/,
      );
      const norsk = await runKeyhold(args, { env: { ...kariEnv, KEYHOLD_LANG: 'nb' } });
      assert.match(
        norsk.stdout,
        /Rollen din i Acme IT er medlem: bare eiere, administratorer og brukerstøtte legger nøkler i biblioteket/,
      );
      const inOrg = await ola.request<Listed>(
        'GET',
        `/api/v1/orgs/${orgId}/keys?q=${protectorId.slice(0, 8)}`,
      );
      assert.deepEqual(inOrg.body.items, []);
    });

    it('refuses --org without --to account', async () => {
      const result = await runKeyhold(
        [
          'backup',
          '--id',
          '2F4D6B81-9A3C-4E5D-B7F1-0A2C4E6F8091',
          '--password',
          generateRecoveryPassword(),
          '--to',
          'file',
          '--file',
          freshDir(),
          '--org',
          'Acme IT',
          '--yes',
        ],
        { env },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--org NAME chooses the organisation library for --to account/);
    });
  });
});
