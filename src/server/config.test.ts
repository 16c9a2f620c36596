import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { describe, it } from 'node:test';
import { defaultDataDir, loadConfig } from './config.js';

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
});
