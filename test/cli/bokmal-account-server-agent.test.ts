import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { testServeEnv } from '../server/serve-process.js';
import { runKeyhold } from '../support/cli.js';

describe('the messages of login, serve, admin and the agent in both languages', () => {
  const roots: string[] = [];
  after(async () => {
    for (const dir of roots) await rm(dir, { recursive: true, force: true });
  });
  async function freshDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'keyhold-nb-'));
    roots.push(dir);
    return dir;
  }

  it('refuses a bad server address and plain HTTP in Bokmål, and keeps the English', async () => {
    const env = { XDG_CONFIG_HOME: await freshDir(), KEYHOLD_LANG: 'nb' };
    const bad = await runKeyhold(['login', 'ftp://keys.example.org'], { env });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'feil: "ftp://keys.example.org" er ikke en serveradresse. Oppgi den som https://keys.example.org.\n',
    );
    const plain = await runKeyhold(['login', 'http://keys.example.org'], { env });
    assert.equal(plain.code, 2);
    assert.match(
      plain.stderr,
      /Logger ikke på over ukryptert HTTP til keys\.example\.org: tokenet ville blitt sendt ukryptert\. Bruk https:\/\/keys\.example\.org\./,
    );
    const english = await runKeyhold(['login', 'ftp://keys.example.org'], {
      env: { ...env, KEYHOLD_LANG: '', LC_ALL: 'C', LANG: 'nb_NO.UTF-8' },
    });
    assert.match(
      english.stderr,
      /is not a server address\. Give it as https:\/\/keys\.example\.org\./,
    );
  });

  it('says in Bokmål that nobody is logged in, following LANG when KEYHOLD_LANG is not set', async () => {
    const env = {
      XDG_CONFIG_HOME: await freshDir(),
      KEYHOLD_LANG: '',
      LC_ALL: '',
      LANG: 'nb_NO.UTF-8',
    };
    const whoami = await runKeyhold(['whoami'], { env });
    assert.equal(whoami.code, 1);
    assert.equal(whoami.stderr, 'Ikke pålogget. Kjør: keyhold login <server-url>\n');
    const logout = await runKeyhold(['logout'], { env });
    assert.equal(logout.code, 2);
    assert.match(
      logout.stderr,
      /Du er ikke logget på noen Keyhold-server\. Kjør: keyhold login <server-url>/,
    );
    const json = await runKeyhold(['whoami', '--json'], { env });
    assert.equal(json.stdout.trim(), '[]');
  });

  it('names the stored logins in Bokmål, and fixes or refuses a bad credentials file', async () => {
    const config = await freshDir();
    const file = join(config, 'keyhold', 'credentials.json');
    await mkdir(join(config, 'keyhold'), { mode: 0o700 });
    const login = (name: string, email: string) => ({
      name,
      server: 'https://keys.example.org',
      accountId: name,
      email,
      displayName: name,
      tokenId: name,
      token: 'khd_not_a_real_token',
      createdAt: '2026-12-01T00:00:00.000Z',
    });
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        credentials: [
          login('work', 'ola@example.org'),
          login('kari@example.org', 'kari@example.org'),
        ],
      }),
      { mode: 0o644 },
    );
    const env = { XDG_CONFIG_HOME: config, KEYHOLD_LANG: 'nb' };

    const unknown = await runKeyhold(['logout', '--account', 'nobody'], { env });
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      'advarsel: ' +
        `${file} kunne leses av andre brukere; nå kan bare du lese den (modus 600).\n` +
        'feil: Ingen pålogging heter "nobody". Logget på:\n' +
        '  work: ola@example.org (work) på keys.example.org\n' +
        '  kari@example.org: kari@example.org på keys.example.org\n',
    );
    const several = await runKeyhold(['logout'], { env });
    assert.equal(several.code, 2);
    assert.match(
      several.stderr,
      /^feil: Du er logget på flere kontoer; velg én:\n {2}--account work {3}ola@example\.org \(work\) på keys\.example\.org\n/,
    );

    await writeFile(file, 'not json', { mode: 0o600 });
    const damaged = await runKeyhold(['whoami'], { env });
    assert.equal(damaged.code, 3);
    assert.equal(
      damaged.stderr,
      `feil: ${file} er ikke gyldig JSON. Slett den og kjør keyhold login på nytt.\n`,
    );
  });

  it('says in Bokmål that the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runKeyhold(
        ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', await freshDir()],
        { env: { ...testServeEnv, KEYHOLD_LANG: 'nb' } },
      );
      assert.equal(result.code, 3);
      assert.ok(
        result.stderr.includes(
          `feil: Kan ikke lytte på 127.0.0.1:${port}: et annet program lytter der allerede. Stopp det, eller velg en annen --port.\n`,
        ),
        result.stderr,
      );
    } finally {
      taken.close();
    }
  });

  it('names settings serve and admin cannot use in Bokmål, each with what it needs', async () => {
    const dataDir = await freshDir();
    const serve = await runKeyhold(
      ['serve', '--port', 'eighty', '--log-level', 'loud', '--data-dir', dataDir],
      { env: { ...testServeEnv, KEYHOLD_LANG: 'nb' } },
    );
    assert.equal(serve.code, 2);
    assert.equal(
      serve.stderr,
      'feil: Ugyldige innstillinger:\n' +
        '  --port (KEYHOLD_PORT): må være et heltall\n' +
        '  --log-level (KEYHOLD_LOG_LEVEL): må være en av fatal, error, warn, info, debug, trace, silent\n',
    );
    const admin = await runKeyhold(['admin', 'migrate', '--database-url', 'mysql://db/keyhold'], {
      env: { ...testServeEnv, KEYHOLD_LANG: 'nb', KEYHOLD_DATA_DIR: dataDir },
    });
    assert.equal(admin.code, 2);
    assert.match(
      admin.stderr,
      /--database-url \(KEYHOLD_DATABASE_URL\): må begynne med postgres:\/\//,
    );
    const english = await runKeyhold(['serve', '--port', 'eighty', '--data-dir', dataDir], {
      env: { ...testServeEnv, KEYHOLD_LANG: 'en' },
    });
    assert.equal(
      english.stderr,
      'error: Invalid configuration:\n  --port (KEYHOLD_PORT): must be a whole number\n',
    );
  });

  it('refuses an organisation name in Bokmål before opening any database', async () => {
    const result = await runKeyhold(
      [
        'admin',
        'create-org',
        '--name',
        ' ',
        '--owner',
        'ola@example.org',
        '--data-dir',
        await freshDir(),
      ],
      { env: { KEYHOLD_LANG: 'nb' } },
    );
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'feil: --name må være 1 til 100 tegn.\n');
  });
});
