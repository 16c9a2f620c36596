import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  formatMasterKeys,
  generateMasterKey,
  loadKeyring,
  MasterKeyError,
  parseMasterKeys,
  writeMasterKeyFile,
} from './master-key.js';

describe('master key', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-master-key-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created on first start with mode 0600, then reused', async () => {
    const dataDir = join(dir, 'data');
    const first = loadKeyring({ dataDir });
    assert.equal(first.created, true);
    const file = join(dataDir, 'master.key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const second = loadKeyring({ dataDir });
    assert.equal(second.created, false);
    assert.deepEqual(second.keyring.current(), first.keyring.current());
    assert.equal(first.keyring.current().key.length, 32);
  });

  it('can come from KEYHOLD_MASTER_KEY as a bare base64 key', () => {
    const key = generateMasterKey(1).key;
    const { keyring } = loadKeyring({ dataDir: dir, masterKey: key.toString('base64') });
    assert.deepEqual(keyring.current(), { version: 1, key });
    assert.equal(keyring.file, undefined);
  });

  it('names what is wrong with a malformed key without printing it', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    assert.throws(
      () => parseMasterKeys(`1:${short}`, 'KEYHOLD_MASTER_KEY'),
      (error: Error) =>
        error instanceof MasterKeyError &&
        error.message.includes('line 1 is not a master key') &&
        !error.message.includes(short),
    );
    const text = formatMasterKeys([generateMasterKey(3), generateMasterKey(3)]);
    assert.throws(() => parseMasterKeys(text, 'file'), /version twice/);
  });

  it('refuses a key file other users can read, saying how to fix it', async () => {
    const file = join(dir, 'loose.key');
    await writeFile(file, formatMasterKeys([generateMasterKey(1)]), { mode: 0o644 });
    assert.throws(() => loadKeyring({ dataDir: dir, masterKeyFile: file }), /chmod 600/);
    assert.throws(
      () => loadKeyring({ dataDir: dir, masterKeyFile: join(dir, 'missing.key') }),
      /cannot read the master key file/,
    );
  });

  it('notices a new version written by another process', async () => {
    const file = join(dir, 'rotating.key');
    const v1 = generateMasterKey(1);
    writeMasterKeyFile(file, [v1]);
    const { keyring } = loadKeyring({ dataDir: dir, masterKeyFile: file });
    assert.equal(keyring.current().version, 1);
    const v2 = generateMasterKey(2);
    writeMasterKeyFile(file, [v1, v2]);
    assert.deepEqual(keyring.byVersion(2), v2);
    assert.equal(keyring.current().version, 2);
    assert.match(await readFile(file, 'utf8'), /^# Keyhold master key/);
    assert.throws(() => keyring.byVersion(9), /master key version 9/);
  });
});
