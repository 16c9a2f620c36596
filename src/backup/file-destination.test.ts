import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateRecoveryPassword } from '../bitlocker/recovery-password-generation.js';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { BackupError, DifferentKeyFileError } from './errors.js';
import { isOnVolume, saveRecoveryFile } from './file-destination.js';

const id = '64311DEA-4587-4029-924A-BA299647998E';
const otherId = '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const file = writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password });

const roots: string[] = [];
function freshDir(base = tmpdir()): string {
  const dir = mkdtempSync(join(base, 'keyhold-file-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

function assertOnlyFiles(dir: string, names: string[]): void {
  assert.deepEqual(readdirSync(dir).sort(), [...names].sort(), 'no temporary files are left');
}

describe('saving a recovery key file', () => {
  it('writes into a folder under the Windows file name, readable by its owner only', async () => {
    const dir = freshDir();
    const saved = await saveRecoveryFile({ destination: dir, ...file });
    assert.deepEqual(saved, { path: join(dir, file.fileName), outcome: 'written' });
    assert.deepEqual(readFileSync(saved.path), file.bytes);
    assert.deepEqual(readRecoveryKeyFile(readFileSync(saved.path)), [
      { protectorId: id, recoveryPassword: password },
    ]);
    if (process.platform !== 'win32') assert.equal(statSync(saved.path).mode & 0o777, 0o600);
    assertOnlyFiles(dir, [file.fileName]);
  });

  it('writes to a path the person chose', async () => {
    const dir = freshDir();
    const path = join(dir, 'laptop key.txt');
    const saved = await saveRecoveryFile({ destination: path, ...file });
    assert.deepEqual(saved, { path, outcome: 'written' });
    assert.deepEqual(readFileSync(path), file.bytes);
  });

  it('counts a file that already holds this key as done and leaves it as it was', async () => {
    const dir = freshDir();
    const norwegian = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: password,
      language: 'nb',
    });
    const path = join(dir, file.fileName);
    writeFileSync(path, norwegian.bytes);
    const saved = await saveRecoveryFile({ destination: dir, ...file });
    assert.deepEqual(saved, { path, outcome: 'already-there' });
    assert.deepEqual(readFileSync(path), norwegian.bytes);
    assertOnlyFiles(dir, [file.fileName]);
  });

  it("never overwrites another key's file", async () => {
    const dir = freshDir();
    const path = join(dir, 'key.txt');
    const other = writeRecoveryKeyFile({
      protectorId: otherId,
      recoveryPassword: generateRecoveryPassword(),
    });
    writeFileSync(path, other.bytes);
    await assert.rejects(saveRecoveryFile({ destination: path, ...file }), (error: unknown) => {
      assert.ok(error instanceof DifferentKeyFileError);
      assert.equal(error.code, 'different-key');
      assert.match(error.message, new RegExp(`holds the recovery key for Key ID ${otherId}`));
      assert.match(error.message, /Nothing was overwritten/);
      assert.ok(!error.message.includes(password), 'no recovery password in messages');
      return true;
    });
    assert.deepEqual(readFileSync(path), other.bytes);
    assertOnlyFiles(dir, ['key.txt']);
  });

  it('refuses a file with another recovery password under the same Key ID', async () => {
    const dir = freshDir();
    const path = join(dir, file.fileName);
    const stale = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: generateRecoveryPassword(),
    });
    writeFileSync(path, stale.bytes);
    await assert.rejects(
      saveRecoveryFile({ destination: dir, ...file }),
      /a different recovery password for the same Key ID 64311DEA-4587-4029-924A-BA299647998E/,
    );
    assert.deepEqual(readFileSync(path), stale.bytes);
  });

  it('refuses to replace a file that is not a recovery key file', async () => {
    const dir = freshDir();
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'shopping list\n');
    await assert.rejects(
      saveRecoveryFile({ destination: path, ...file }),
      (error: unknown) => error instanceof BackupError && error.code === 'not-a-recovery-file',
    );
    assert.equal(readFileSync(path, 'utf8'), 'shopping list\n');
  });

  it('lets exactly one of several keys racing for the same path win', async () => {
    const dir = freshDir();
    const path = join(dir, 'key.txt');
    const contenders = Array.from({ length: 8 }, (_, index) =>
      writeRecoveryKeyFile({
        protectorId: `${String(index).repeat(8)}-4587-4029-924A-BA299647998E`,
        recoveryPassword: generateRecoveryPassword(),
      }),
    );
    const results = await Promise.allSettled(
      contenders.map((contender) => saveRecoveryFile({ destination: path, ...contender })),
    );
    const winners = results.flatMap((result, index) =>
      result.status === 'fulfilled' ? [contenders[index]!] : [],
    );
    assert.equal(winners.length, 1);
    for (const result of results) {
      if (result.status === 'rejected') assert.ok(result.reason instanceof DifferentKeyFileError);
    }
    assert.deepEqual(readFileSync(path), winners[0]!.bytes);
    assertOnlyFiles(dir, ['key.txt']);
  });

  it('names a missing folder instead of creating it', async () => {
    const dir = freshDir();
    await assert.rejects(
      saveRecoveryFile({ destination: join(dir, 'missing', 'key.txt'), ...file }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'no-such-folder' &&
        error.message.includes(join(dir, 'missing')),
    );
    await assert.rejects(
      saveRecoveryFile({ destination: `${join(dir, 'missing')}/`, ...file }),
      (error: unknown) => error instanceof BackupError && error.code === 'no-such-folder',
    );
    assertOnlyFiles(dir, []);
  });

  it('refuses to put the key on the volume it unlocks', async () => {
    const volume = freshDir();
    const inside = join(volume, 'Users', 'ola');
    mkdirSync(inside, { recursive: true });
    await assert.rejects(
      saveRecoveryFile({ destination: inside, ...file, protectedVolume: volume }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'protected-volume' &&
        error.message.includes('choose another drive'),
    );
    assertOnlyFiles(inside, []);
  });

  it('saves when the protected volume is not mounted here', async () => {
    const dir = freshDir();
    const saved = await saveRecoveryFile({
      destination: dir,
      ...file,
      protectedVolume: join(dir, 'not-mounted'),
    });
    assert.equal(saved.outcome, 'written');
  });
});

describe('telling volumes apart', () => {
  const otherFilesystem = '/dev/shm';
  let separate = false;
  try {
    separate = statSync(otherFilesystem).dev !== statSync(tmpdir()).dev;
  } catch {
    separate = false;
  }
  const skip = separate
    ? false
    : `skipped: needs ${otherFilesystem} on another filesystem than ${tmpdir()}`;

  it(
    'sees a folder on another filesystem as another volume, even through a symlink',
    { skip },
    async () => {
      const protectedVolume = freshDir();
      const elsewhere = freshDir(otherFilesystem);
      assert.equal(await isOnVolume(elsewhere, protectedVolume), false);
      const saved = await saveRecoveryFile({ destination: elsewhere, ...file, protectedVolume });
      assert.equal(saved.outcome, 'written');

      const sneaky = join(elsewhere, 'looks-elsewhere');
      symlinkSync(protectedVolume, sneaky);
      assert.equal(await isOnVolume(sneaky, protectedVolume), true);
      await assert.rejects(
        saveRecoveryFile({ destination: sneaky, ...file, protectedVolume }),
        (error: unknown) => error instanceof BackupError && error.code === 'protected-volume',
      );
    },
  );
});
