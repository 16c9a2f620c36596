import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, defaultDataDir, loadConfig } from './config.js';

describe('configuration', () => {
  it('keeps data in one per-user place unless told otherwise', () => {
    assert.equal(defaultDataDir({}), `${homedir()}/.local/share/keyhold`);
    assert.equal(defaultDataDir({ XDG_DATA_HOME: '/srv/data' }), '/srv/data/keyhold');
    assert.equal(loadConfig({}, { XDG_DATA_HOME: '/srv/data' }).dataDir, '/srv/data/keyhold');
    assert.equal(loadConfig({ dataDir: '/var/lib/keyhold' }, {}).dataDir, '/var/lib/keyhold');
  });

  it('takes the master key only from the environment, and never echoes it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ masterKey: key }, {}).masterKey, undefined);
    assert.equal(loadConfig({}, { KEYHOLD_MASTER_KEY: key }).masterKey, key);
    assert.throws(
      () => loadConfig({ masterKeyFile: '/etc/keyhold.key' }, { KEYHOLD_MASTER_KEY: key }),
      (error: Error) =>
        error.message.includes('KEYHOLD_MASTER_KEY: give the master key either') &&
        !error.message.includes(key),
    );
  });

  it('accepts a PostgreSQL URL and names the setting when it is something else', () => {
    const url = 'postgres://keyhold@db.internal:5432/keyhold';
    assert.equal(loadConfig({}, { KEYHOLD_DATABASE_URL: url }).databaseUrl, url);
    assert.throws(
      () => loadConfig({ databaseUrl: 'mysql://db/keyhold' }, {}),
      /--database-url \(KEYHOLD_DATABASE_URL\): must start with postgres:\/\//,
    );
  });

  it('has sound argon2id costs by default and lets them be lowered for tests', () => {
    const defaults = loadConfig({}, {});
    assert.deepEqual(
      [defaults.argon2MemoryKib, defaults.argon2Iterations, defaults.argon2Parallelism],
      [65_536, 3, 1],
    );
    assert.equal(loadConfig({}, { KEYHOLD_ARGON2_MEMORY_KIB: '1024' }).argon2MemoryKib, 1024);
    assert.throws(() => loadConfig({ argon2MemoryKib: 8 }, {}), /--argon2-memory-kib/);
  });

  it('runs one server process unless told to run more, and names the setting when it is wrong', () => {
    assert.equal(loadConfig({}, {}).workers, 1);
    assert.equal(loadConfig({}, { KEYHOLD_WORKERS: '4' }).workers, 4);
    assert.equal(loadConfig({ workers: '2' }, { KEYHOLD_WORKERS: '4' }).workers, 2);
    for (const wrong of ['0', 'many', '1.5']) {
      assert.throws(() => loadConfig({ workers: wrong }, {}), /--workers \(KEYHOLD_WORKERS\)/);
    }
  });

  /** The refusal of these settings, in English and in Bokmål. */
  function refusal(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
    try {
      loadConfig(flags, env);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.message, error.wording.en);
      return error.wording;
    }
    assert.fail(`${JSON.stringify(flags)} was accepted`);
  }

  it('says what each setting needs in words of its own, in English and in Bokmål', () => {
    assert.deepEqual(refusal({ port: 'eighty' }), {
      en: 'Invalid configuration:\n  --port (KEYHOLD_PORT): must be a whole number',
      nb: 'Ugyldige innstillinger:\n  --port (KEYHOLD_PORT): må være et heltall',
    });
    assert.match(refusal({ port: '70000' }).nb, /--port \(KEYHOLD_PORT\): kan være høyst 65535$/);
    assert.match(refusal({}, { KEYHOLD_WORKERS: '0' }).en, /--workers .*: must be at least 1$/);
    assert.match(refusal({ logLevel: 'loud' }).nb, /må være en av fatal, error, warn, info,/);
    assert.match(refusal({ host: '' }).nb, /--host \(KEYHOLD_HOST\): kan ikke være tom$/);
    assert.match(
      refusal({ databaseUrl: 'mysql://db/keyhold' }).nb,
      /--database-url \(KEYHOLD_DATABASE_URL\): må begynne med postgres:\/\//,
    );
    assert.match(
      refusal({ host: '0.0.0.0' }).nb,
      /serverer ikke gjenopprettingsnøkler over ukryptert HTTP på 0\.0\.0\.0/,
    );
    // Two problems, two lines, each in both languages.
    const mail = refusal({ smtpUrl: 'smtp://mail.example.org' });
    assert.equal(mail.nb.split('\n').length, 3);
    assert.match(mail.nb, /--mail-from .*: e-post trenger en avsender/);
    assert.match(mail.en, /--public-url .*: email links need the address people reach Keyhold at/);
    // No zod wording reaches the operator in either language.
    for (const flags of [{ port: 'x' }, { workers: '1.5' }, { publicUrl: 'nope' }]) {
      const { en, nb } = refusal(flags);
      assert.doesNotMatch(`${en}\n${nb}`, /Invalid input|expected|received|Too small|Too big/);
    }
  });

  it('takes only an http or https address as the public URL', () => {
    assert.equal(
      loadConfig({ publicUrl: 'https://keys.example.org' }, {}).publicUrl,
      'https://keys.example.org',
    );
    for (const publicUrl of ['ftp://keys.example.org', 'keys.example.org', 'javascript:alert(1)']) {
      assert.match(
        refusal({ publicUrl }).en,
        /--public-url \(KEYHOLD_PUBLIC_URL\): must be the address people open Keyhold at, with http:\/\/ or https:\/\//,
      );
    }
  });
});
