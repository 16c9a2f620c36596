import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { runKeyhold } from '../support/cli.js';
import { logIn, SignedInBrowser } from '../support/device-login.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage } from './volume-corpus.js';

const skip = corpusSkip();

describe('keyhold verify --from-account with a mistyped Key ID', () => {
  it('says which letters should be the digits 0 and 1 (exit 2), before asking any server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-verify-account-'));
    try {
      const result = await runKeyhold(
        ['verify', join(dir, 'disk.img'), '--from-account', 'O4311DEA'],
        {
          env: { XDG_CONFIG_HOME: dir },
        },
      );
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        'error: --from-account: "O4311DEA" is not a Key ID: only the digits 0-9 and letters A-F can appear in one. The letter "O" should be the digit 0 (zero).\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keyhold verify --from-account', { skip }, () => {
  const roots: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-verify-account-'));
    roots.push(dir);
    return dir;
  };
  const env = { XDG_CONFIG_HOME: freshDir() };
  let server: ServeProcess;
  let ola: SignedInBrowser;

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
    ola = new SignedInBrowser(server.url);
    await ola.signup('ola@example.org', 'Ola Nordmann');
    await logIn(server.url, ola, env);
  });
  after(async () => {
    await server.stop();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches the key by its 8-character Key ID, names the protector it opens, and is audited', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const protectorId = xts.recoveryProtectorId?.toUpperCase() ?? '';
    const recoveryPassword = xts.recoveryPassword ?? '';
    await ola.addKey(protectorId, recoveryPassword);

    const result = await runKeyhold(['verify', xts.path, '--from-account', '64311DEA'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^opens ${protectorId} \\(recovery-password\\) on volume ${xts.guid}`, 'im'),
    );
    for (const block of recoveryPassword.split('-')) {
      assert.ok(!`${result.stdout}${result.stderr}`.includes(block), 'the password is not shown');
    }

    const audit = await ola.request<{ events: { action: string; details: { keyId?: string } }[] }>(
      'GET',
      '/api/v1/audit',
    );
    const reveals = audit.body.events.filter((event) => event.action === 'key_revealed');
    assert.equal(reveals.length, 1, JSON.stringify(audit.body.events));
  });

  it('answers exit 1 when the account holds a key that does not open the volume', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const other = corpusImage('bitlk-aes-xts-256');
    const otherId = other.recoveryProtectorId?.toUpperCase() ?? '';
    await ola.addKey(otherId, other.recoveryPassword ?? '');

    const result = await runKeyhold(
      ['verify', xts.path, '--from-account', otherId, '--account', 'ola@example.org', '--json'],
      { env },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /this key does not open this volume/);
    const json = JSON.parse(result.stdout) as { opens: boolean; fromAccount: string };
    assert.equal(json.opens, false);
    assert.equal(json.fromAccount, 'ola@example.org');
    assert.ok(!result.stdout.includes(other.recoveryPassword ?? ''));
  });

  it('lists the keys a prefix matches (exit 2) and says when no account holds the Key ID (exit 1)', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const twins = ['ABCDEF12-0000-4000-8000-000000000001', 'ABCDEF12-0000-4000-8000-000000000002'];
    for (const id of twins) await ola.addKey(id, xts.recoveryPassword ?? '');

    const several = await runKeyhold(['verify', xts.path, '--from-account', 'abcdef12'], { env });
    assert.equal(several.code, 2);
    assert.match(several.stderr, /matches 2 keys/);
    for (const id of twins) assert.ok(several.stderr.includes(id), several.stderr);

    const none = await runKeyhold(['verify', xts.path, '--from-account', '0BADC0DE'], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No logged-in account holds a key with Key ID 0BADC0DE/);
  });

  it('tells a person who is not logged in to run keyhold login (exit 2)', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const result = await runKeyhold(['verify', xts.path, '--from-account', '64311DEA'], {
      env: { XDG_CONFIG_HOME: freshDir() },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not logged in.*Run: keyhold login <server>/);
  });
});
