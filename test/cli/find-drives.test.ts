import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLsblkJson } from '../../src/backup/drives.js';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { runDestinations } from '../../src/cli/backup/destinations.js';
import { defaultSearchLimits } from '../../src/cli/backup/local-search.js';
import { drivePlaces } from '../../src/cli/backup/places.js';
import { createProgress } from '../../src/cli/backup/progress.js';
import { searchLocalPlaces } from '../../src/cli/backup/find.js';
import { onlyDrive } from '../../src/cli/backup/usb-choice.js';
import { repoRoot } from '../support/cli.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-drive-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/**
 * `lsblk -J` as recorded on a laptop with two USB sticks (one mounted at /media/ola/KEYS), with
 * that mount point moved to a real folder: what the drive listing finds is then searched and
 * written for real.
 */
function recordedLaptop(): { mountPoint: string; lsblk: string } {
  const mountPoint = freshDir();
  const recorded = readFileSync(
    join(repoRoot, 'test/fixtures/drives/lsblk-2.38-laptop.json'),
    'utf8',
  );
  assert.ok(recorded.includes('"/media/ola/KEYS"'));
  return {
    mountPoint,
    lsblk: recorded.replaceAll('"/media/ola/KEYS"', JSON.stringify(mountPoint)),
  };
}

const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
const recoveryPassword = generateRecoveryPassword();
const silent = createProgress({ json: true });

describe('removable drives found by lsblk', () => {
  it('are searched when mounted, and the unmounted one is left out', async () => {
    const laptop = recordedLaptop();
    const { fileName, bytes } = writeRecoveryKeyFile({ protectorId, recoveryPassword });
    writeFileSync(join(laptop.mountPoint, fileName), bytes);

    const places = drivePlaces(parseLsblkJson(laptop.lsblk));
    assert.deepEqual(places, [{ kind: 'drive', path: laptop.mountPoint, label: 'KEYS' }]);
    const found = await searchLocalPlaces(places, '64311DEA', defaultSearchLimits, silent);
    assert.deepEqual(found.problems, []);
    assert.deepEqual(
      found.matches.map(({ where, placeDescription, path, protectorId: id }) => ({
        where,
        placeDescription: placeDescription.en,
        path,
        id,
      })),
      [
        {
          where: 'drive',
          placeDescription: `USB drive KEYS (${laptop.mountPoint})`,
          path: join(laptop.mountPoint, fileName),
          id: protectorId,
        },
      ],
    );
  });

  it('offer the only mounted drive as the USB destination, and the backup lands in its root', async () => {
    const laptop = recordedLaptop();
    const destination = onlyDrive(parseLsblkJson(laptop.lsblk));
    assert.deepEqual(destination, { kind: 'usb', mountPoint: laptop.mountPoint, label: 'KEYS' });

    const [result] = await runDestinations(
      [destination],
      {
        key: { protectorId, recoveryPassword, source: 'typed in' },
        deviceName: 'laptop-ola',
        deviceNameGuessed: false,
        lang: 'en',
        paper: 'a4',
      },
      () => undefined,
    );
    assert.equal(result?.ok, true, result?.message.en);
    const fileName = `BitLocker Recovery Key ${protectorId}.TXT`;
    assert.deepEqual(readdirSync(laptop.mountPoint), [fileName]);
    assert.deepEqual(readRecoveryKeyFile(readFileSync(join(laptop.mountPoint, fileName))), [
      { protectorId, recoveryPassword },
    ]);
  });

  it('ask which drive when two are mounted', () => {
    const laptop = recordedLaptop();
    const second = freshDir();
    const drives = parseLsblkJson(laptop.lsblk).map((drive) =>
      drive.mountPoint === null ? { ...drive, mountPoint: second } : drive,
    );
    assert.throws(
      () => onlyDrive(drives),
      (error: Error) => {
        assert.match(error.message, /There are 2 USB drives; choose one:/);
        assert.ok(error.message.includes(`--usb ${laptop.mountPoint} (KEYS)  /dev/sda1`));
        assert.ok(error.message.includes(`--usb ${second} (BACKUP)  /dev/sdb1`));
        return true;
      },
    );
  });
});
