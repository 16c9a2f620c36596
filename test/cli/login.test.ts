import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { runKeyhold } from '../support/cli.js';
import { SignedInBrowser, startLogin } from '../support/device-login.js';
import type { KeyPage } from '../../src/api/keys.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-login-'));
  roots.push(dir);
  return dir;
}

interface StoredFile {
  version: number;
  credentials: { name: string; server: string; email: string; accountId: string; token: string }[];
}

describe('keyhold login, whoami, logout and the account in backup and find', () => {
  let server: ServeProcess;
  let ola: SignedInBrowser;
  let kari: SignedInBrowser;
  const config = freshDir();
  const env = { XDG_CONFIG_HOME: config };
  const credentialsFile = join(config, 'keyhold', 'credentials.json');

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
    ola = new SignedInBrowser(server.url);
    await ola.signup('ola@example.org', 'Ola Nordmann');
    kari = new SignedInBrowser(server.url);
    await kari.signup('kari@example.org', 'Kari');
  });
  after(async () => {
    await server.stop();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with a code approved by the signed-in person and keeps the token private', async () => {
    const login = startLogin([server.url, '--device-name', 'ola-laptop'], env);
    const userCode = await login.userCode;
    assert.ok(login.stderr().includes(`${server.url}/connect-device`));
    assert.ok(login.stderr().includes(`${server.url}/connect-device?code=${userCode}`));

    const shown = await ola.request<{ request: { deviceName: string } }>(
      'POST',
      '/api/v1/device/lookup',
      {
        userCode,
      },
    );
    assert.equal(shown.body.request.deviceName, 'ola-laptop');
    const approved = await ola.request('POST', '/api/v1/device/approve', {
      userCode,
      approve: true,
    });
    assert.equal(approved.status, 200);

    const result = await login.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /Logged in as Ola Nordmann <ola@example\.org> on http:\/\/127\.0\.0\.1:\d+ \(saved as "ola@example\.org"/,
    );

    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(config, 'keyhold')).mode & 0o777, 0o700);
    const stored = JSON.parse(readFileSync(credentialsFile, 'utf8')) as StoredFile;
    assert.deepEqual(
      stored.credentials.map(({ name, server: origin, email, accountId }) => ({
        name,
        origin,
        email,
        accountId,
      })),
      [
        {
          name: 'ola@example.org',
          origin: server.url,
          email: 'ola@example.org',
          accountId: ola.accountId,
        },
      ],
    );
    assert.deepEqual(
      readdirSync(join(config, 'keyhold')),
      ['credentials.json'],
      'no temporary file left',
    );

    const tokens = await ola.request<{ tokens: { name: string }[] }>('GET', '/api/v1/auth/tokens');
    assert.deepEqual(
      tokens.body.tokens.map((token) => token.name),
      ['ola-laptop'],
    );
  });

  it('keeps several accounts apart with --account and shows them with whoami', async () => {
    const login = startLogin([server.url, '--account', 'kari'], env);
    const userCode = await login.userCode;
    await kari.request('POST', '/api/v1/device/approve', { userCode, approve: true });
    assert.equal((await login.done).code, 0);

    const whoami = await runKeyhold(['whoami'], { env });
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(
      whoami.stdout,
      /^Ola Nordmann <ola@example\.org> on http:\/\/127\.0\.0\.1:\d+; token valid until \d{4}-\d\d-\d\d$/m,
    );
    assert.match(
      whoami.stdout,
      /^Kari <kari@example\.org> on .* \(--account kari\); token valid until/m,
    );

    const json = await runKeyhold(['whoami', '--account', 'kari', '--json'], { env });
    const entries = JSON.parse(json.stdout) as { name: string; email: string; valid: boolean }[];
    assert.deepEqual(
      entries.map(({ name, email, valid }) => ({ name, email, valid })),
      [{ name: 'kari', email: 'kari@example.org', valid: true }],
    );
  });

  it('saves nothing when the person denies the request (exit 1)', async () => {
    const elsewhere = { XDG_CONFIG_HOME: freshDir() };
    const login = startLogin([server.url], elsewhere);
    const userCode = await login.userCode;
    await ola.request('POST', '/api/v1/device/approve', { userCode, approve: false });
    const result = await login.done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /The request was denied in the browser\. Nothing was saved\./);
    const whoami = await runKeyhold(['whoami'], { env: elsewhere });
    assert.equal(whoami.code, 1);
    assert.match(whoami.stderr, /Not logged in\. Run: keyhold login <server-url>/);

    const norsk = startLogin([server.url], { ...elsewhere, KEYHOLD_LANG: 'nb' });
    const norskCode = await norsk.userCode;
    assert.match(norsk.stderr(), /^For å koble til denne datamaskinen, åpne denne adressen/);
    await ola.request('POST', '/api/v1/device/approve', { userCode: norskCode, approve: false });
    const refused = await norsk.done;
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Forespørselen ble avvist i nettleseren\. Ingenting ble lagret\./);
  });

  it('tries https:// for an address without a scheme and, on this computer, says to use http://', async () => {
    // The server under test listens on plain HTTP at 127.0.0.1, as `keyhold serve` does by default.
    const hostAndPort = server.url.replace(/^http:\/\//, '');
    const home = freshDir();
    const result = await runKeyhold(['login', hostAndPort], { env: { XDG_CONFIG_HOME: home } });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      new RegExp(
        `^error: Could not reach https://${hostAndPort} \\([^)]+\\): "${hostAndPort}" has no scheme, so https:// was tried\\.`,
      ),
    );
    assert.ok(result.stderr.includes('without TLS answers over plain HTTP; use http://.'));
    assert.ok(result.stderr.endsWith(`\nRun: keyhold login ${server.url}\n`), result.stderr);
    assert.deepEqual(readdirSync(home), [], 'nothing saved');
  });

  it('refuses plain HTTP to another computer', async () => {
    const result = await runKeyhold(['login', 'http://keys.example.org'], {
      env: { XDG_CONFIG_HOME: freshDir() },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Refusing to log in over plain HTTP to keys\.example\.org/);
  });

  describe('backup to the account', () => {
    const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
    const recoveryPassword = generateRecoveryPassword();
    let keyFile: string;

    before(() => {
      const { fileName, bytes } = writeRecoveryKeyFile({ protectorId, recoveryPassword });
      keyFile = join(freshDir(), fileName);
      writeFileSync(keyFile, bytes);
    });

    it('uploads the key, writes the USB copy and records that backup in the library', async () => {
      const usb = freshDir();
      const result = await runKeyhold(
        [
          'backup',
          '--from',
          keyFile,
          '--to',
          'account,usb',
          '--usb',
          usb,
          '--account',
          'ola@example.org',
          '--device-name',
          'OLA-PC',
          '--yes',
        ],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /ok account: saved in ola@example\.org on http/);
      assert.match(result.stdout, /ok usb: wrote /);
      assert.match(result.stdout, /recorded the usb backup in ola@example\.org on /);

      const listed = await ola.request<KeyPage>('GET', '/api/v1/keys?q=64311DEA');
      assert.deepEqual(
        listed.body.items.map(({ protectorId: id, deviceName, source, hasOfflineBackup }) => ({
          id,
          deviceName,
          source,
          hasOfflineBackup,
        })),
        [{ id: protectorId, deviceName: 'OLA-PC', source: 'cli', hasOfflineBackup: true }],
      );
      const keyId = listed.body.items[0]?.id ?? '';
      const backups = await ola.request<{ items: { destination: string; note: string | null }[] }>(
        'GET',
        `/api/v1/keys/${keyId}/backups`,
      );
      assert.ok(
        backups.body.items.some(
          (backup) =>
            backup.destination === 'usb' &&
            backup.note === join(usb, `BitLocker Recovery Key ${protectorId}.TXT`),
        ),
        JSON.stringify(backups.body),
      );
      const kariKeys = await kari.request<{ items: unknown[] }>('GET', '/api/v1/keys');
      assert.deepEqual(kariKeys.body.items, [], 'the other login never got the key');
    });

    it('records a later file backup in the account that holds the key', async () => {
      const folder = freshDir();
      const result = await runKeyhold(
        ['backup', '--from', keyFile, '--to', 'file', '--file', folder, '--yes', '--json'],
        {
          env,
        },
      );
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as {
        recorded: { account: string; destination: string; recorded: boolean }[];
      };
      assert.deepEqual(report.recorded, [
        { account: 'ola@example.org', server: server.url, destination: 'file', recorded: true },
      ]);
    });

    it('refuses loudly a different password under the same Key ID', async () => {
      const wrong = join(freshDir(), 'wrong.txt');
      writeFileSync(
        wrong,
        writeRecoveryKeyFile({ protectorId, recoveryPassword: generateRecoveryPassword() }).bytes,
      );
      const result = await runKeyhold(
        ['backup', '--from', wrong, '--to', 'account', '--account', 'ola@example.org', '--yes'],
        {
          env,
        },
      );
      assert.equal(result.code, 2);
      assert.match(
        result.stdout,
        /FAILED account: Your account already holds a different recovery password for Key ID 64311DEA/,
      );
      const norsk = await runKeyhold(
        ['backup', '--from', wrong, '--to', 'account', '--account', 'ola@example.org', '--yes'],
        { env: { ...env, KEYHOLD_LANG: 'nb' } },
      );
      assert.equal(norsk.code, 2);
      assert.match(
        norsk.stdout,
        /Kontoen din har allerede et annet gjenopprettingspassord for nøkkel-ID 64311DEA-4587-4029-924A-BA299647998E: ett av dem er feil eller utdatert\./,
      );
    });

    it('finds the key in the account, and reveals it only when asked, recorded in the activity', async () => {
      const found = await runKeyhold(['find', '64311dea', '--no-drives', '--json'], { env });
      assert.equal(found.code, 0, found.stderr);
      const report = JSON.parse(found.stdout) as {
        matches: {
          where: string;
          placeDescription: string;
          protectorId: string;
          recoveryPassword?: string;
        }[];
      };
      assert.deepEqual(
        report.matches.map(({ where, placeDescription, protectorId: id }) => ({
          where,
          placeDescription,
          id,
        })),
        [
          {
            where: 'account',
            placeDescription: `ola@example.org on ${new URL(server.url).host}`,
            id: protectorId,
          },
        ],
      );
      assert.ok(!found.stdout.includes(recoveryPassword));

      const unasked = await runKeyhold(['find', '64311DEA', '--no-drives', '--show'], { env });
      assert.equal(unasked.code, 0);
      assert.match(unasked.stderr, /add --yes to show them without asking/);
      assert.ok(!unasked.stdout.includes(recoveryPassword));

      const shown = await runKeyhold(['find', '64311DEA', '--no-drives', '--show', '--yes'], {
        env,
      });
      assert.equal(shown.code, 0, shown.stderr);
      assert.ok(shown.stdout.includes(`recovery key: ${recoveryPassword}`));

      const activity = await ola.request<{
        events: { action: string; userAgent: string | null }[];
      }>('GET', '/api/v1/audit');
      const reveal = activity.body.events.find((event) => event.action === 'key_revealed');
      assert.ok(reveal, JSON.stringify(activity.body.events.map((event) => event.action)));
      assert.match(reveal.userAgent ?? '', /^keyhold\//);
    });
  });

  it('logs out: the token is revoked on the server and forgotten here', async () => {
    const result = await runKeyhold(['logout', '--account', 'kari'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Logged out of kari@example\.org \(kari\) on /);
    const tokens = await kari.request<{ tokens: unknown[] }>('GET', '/api/v1/auth/tokens');
    assert.deepEqual(tokens.body.tokens, []);
    const stored = JSON.parse(readFileSync(credentialsFile, 'utf8')) as StoredFile;
    assert.deepEqual(
      stored.credentials.map((credential) => credential.name),
      ['ola@example.org'],
    );
  });

  it('tells the person to log in again when the token was revoked in the web app', async () => {
    const tokens = await ola.request<{ tokens: { id: string }[] }>('GET', '/api/v1/auth/tokens');
    for (const token of tokens.body.tokens) {
      await ola.request('DELETE', `/api/v1/auth/tokens/${token.id}`);
    }
    const whoami = await runKeyhold(['whoami'], { env });
    assert.equal(whoami.code, 1);
    assert.match(whoami.stdout, /no longer works \(revoked or expired\): run keyhold login http/);
    const find = await runKeyhold(['find', '64311DEA', '--no-drives'], { env });
    assert.equal(find.code, 3);
    assert.match(find.stderr, /The login for ola@example\.org .* no longer works/);

    const norsk = { ...env, KEYHOLD_LANG: 'nb' };
    const whoamiNorsk = await runKeyhold(['whoami'], { env: norsk });
    assert.equal(whoamiNorsk.code, 1);
    assert.match(
      whoamiNorsk.stdout,
      /^Ola Nordmann <ola@example\.org> på http:\/\/127\.0\.0\.1:\d+: virker ikke lenger \(tilbakekalt eller utløpt\): kjør keyhold login http/,
    );
    // Machine output stays as scripts know it, whatever the terminal's language.
    const json = await runKeyhold(['whoami', '--json'], { env: norsk });
    const [entry] = JSON.parse(json.stdout) as { problem: string }[];
    assert.match(entry?.problem ?? '', /^no longer works \(revoked or expired\)/);
    const findNorsk = await runKeyhold(['find', '64311DEA', '--no-drives'], { env: norsk });
    assert.equal(findNorsk.code, 3);
    assert.match(
      findNorsk.stderr,
      /Påloggingen for ola@example\.org på http:\/\/127\.0\.0\.1:\d+ virker ikke lenger \(logget av, tilbakekalt eller utløpt\)\. Kjør: keyhold login http/,
    );
  });
});
