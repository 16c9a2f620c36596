import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateRecoveryPassword } from '../bitlocker/recovery-password-generation.js';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { BackupError, DifferentKeyFileError } from './errors.js';
import { saveToUsbDrive } from './usb-destination.js';

const id = '64311DEA-4587-4029-924A-BA299647998E';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const file = writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password });

const roots: string[] = [];
/** A real folder standing in for the drive's mount point. */
function driveRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-usb-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe('backing up to a USB drive', () => {
  it('writes the recovery key file to the root of the drive and reminds to keep it apart', async () => {
    const mountPoint = driveRoot();
    const saved = await saveToUsbDrive({ mountPoint, ...file });
    assert.equal(saved.path, join(mountPoint, `BitLocker Recovery Key ${id}.TXT`));
    assert.equal(saved.outcome, 'written');
    assert.deepEqual(readFileSync(saved.path), file.bytes);
    assert.deepEqual(readRecoveryKeyFile(readFileSync(saved.path)), [
      { protectorId: id, recoveryPassword: password },
    ]);
    assert.match(saved.reminder, /away from the computer/);
    assert.deepEqual(readdirSync(mountPoint), [file.fileName]);
  });

  it('reminds in Norwegian', async () => {
    const saved = await saveToUsbDrive({ mountPoint: driveRoot(), ...file, lang: 'nb' });
    assert.match(saved.reminder, /atskilt fra datamaskinen/);
  });

  it('accepts a drive that already holds this key', async () => {
    const mountPoint = driveRoot();
    const norwegian = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: password,
      language: 'nb',
    });
    writeFileSync(join(mountPoint, file.fileName), norwegian.bytes);
    const saved = await saveToUsbDrive({ mountPoint, ...file });
    assert.equal(saved.outcome, 'already-there');
    assert.deepEqual(readFileSync(saved.path), norwegian.bytes);
  });

  it("keeps another key's file on the drive", async () => {
    const mountPoint = driveRoot();
    const other = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: generateRecoveryPassword(),
    });
    writeFileSync(join(mountPoint, file.fileName), other.bytes);
    await assert.rejects(saveToUsbDrive({ mountPoint, ...file }), DifferentKeyFileError);
    assert.deepEqual(readFileSync(join(mountPoint, file.fileName)), other.bytes);
  });

  it('refuses the drive that is the protected volume', async () => {
    const mountPoint = driveRoot();
    await assert.rejects(
      saveToUsbDrive({ mountPoint, ...file, protectedVolume: mountPoint }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'protected-volume' &&
        error.message.includes('use another USB drive'),
    );
    assert.deepEqual(readdirSync(mountPoint), []);
  });

  it('says so when no drive is mounted at the path', async () => {
    const missing = join(driveRoot(), 'KEYS');
    await assert.rejects(
      saveToUsbDrive({ mountPoint: missing, ...file }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'no-such-folder' &&
        error.message.includes(`No drive is mounted at ${missing}`),
    );
  });
});
