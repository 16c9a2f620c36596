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

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
    ola = new SignedInBrowser(server.url);
    await ola.signup('ola@example.org', 'Ola Nordmann');
    const login = startLogin([server.url, '--device-name', 'ola-laptop'], env);
    const userCode = await login.userCode;
    const approved = await ola.request('POST', '/api/v1/device/approve', {
      userCode,
      approve: true,
    });
    assert.equal(approved.status, 200);
    assert.equal((await login.done).code, 0);
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
});
