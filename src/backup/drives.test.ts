import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  listRemovableDrives,
  parseDiskutilInfo,
  parseDiskutilList,
  parseGetVolumeJson,
  parseLsblkJson,
  parsePlist,
} from './drives.js';
import { BackupError } from './errors.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/drives');

function fixture(name: string): string {
  return readFileSync(join(fixtures, name), 'utf8');
}

describe('removable drives from lsblk', () => {
  it('lists the USB sticks of a laptop, mounted or not, and nothing of its NVMe system disk', () => {
    assert.deepEqual(parseLsblkJson(fixture('lsblk-2.38-laptop.json')), [
      {
        mountPoint: '/media/ola/KEYS',
        label: 'KEYS',
        sizeBytes: 15517876224,
        device: '/dev/sda1',
        fileSystem: 'vfat',
      },
      {
        mountPoint: null,
        label: 'BACKUP',
        sizeBytes: 31003246592,
        device: '/dev/sdb1',
        fileSystem: 'exfat',
      },
    ]);
  });

  it('finds a USB hard disk, a stick without partitions and a filesystem inside LUKS, but not internal hot-plug SATA disks', () => {
    const drives = parseLsblkJson(fixture('lsblk-2.38-desk.json'));
    assert.deepEqual(
      drives.map(({ device, mountPoint, label }) => ({ device, mountPoint, label })),
      [
        { device: '/dev/sdc2', mountPoint: '/media/kari/Elements', label: 'Elements' },
        { device: '/dev/sdd', mountPoint: '/media/kari/NØKLER', label: 'NØKLER' },
        {
          device: '/dev/mapper/luks-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
          mountPoint: '/media/kari/vault',
          label: 'vault',
        },
      ],
    );
  });

  it('reads lsblk before 2.33 (flags and sizes as strings, a single mountpoint)', () => {
    assert.deepEqual(parseLsblkJson(fixture('lsblk-2.31-strings.json')), [
      {
        mountPoint: '/media/per/STICK 4GB',
        label: 'STICK 4GB',
        sizeBytes: 4008706048,
        device: '/dev/sdb1',
        fileSystem: 'vfat',
      },
    ]);
  });

  it('reads human sizes when lsblk ran without -b', () => {
    const drives = parseLsblkJson(fixture('lsblk-2.38-human-sizes.json'));
    assert.deepEqual(
      drives.map(({ device, sizeBytes }) => ({ device, sizeBytes })),
      [
        { device: '/dev/sda1', sizeBytes: Math.round(14.5 * 1024 ** 3) },
        { device: '/dev/sdb1', sizeBytes: 959 * 1024 ** 2 },
      ],
    );
  });

  it('gives a clear error for output that is not lsblk JSON', () => {
    assert.throws(
      () => parseLsblkJson('lsblk: unknown column: MOUNTPOINTS'),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'drive-listing-failed' &&
        error.message.includes('mount point'),
    );
    assert.throws(() => parseLsblkJson('{"devices": []}'), /no "blockdevices" list/);
  });
});

describe('removable drives from diskutil', () => {
  it('lists the volumes of external disks: FAT and exFAT partitions, APFS volumes, a whole-disk FAT stick', () => {
    assert.deepEqual(parseDiskutilList(fixture('diskutil-list-external.plist')), [
      'disk4s1',
      'disk5s2',
      'disk7s1',
      'disk8',
      'disk9s1',
    ]);
  });

  it('describes each volume from diskutil info, mounted or not', () => {
    assert.deepEqual(parseDiskutilInfo(fixture('diskutil-info-disk4s1.plist')), {
      mountPoint: '/Volumes/KEYS',
      label: 'KEYS',
      sizeBytes: 15517876224,
      device: '/dev/disk4s1',
      fileSystem: 'MS-DOS FAT32',
    });
    assert.deepEqual(parseDiskutilInfo(fixture('diskutil-info-disk5s2.plist')), {
      mountPoint: null,
      label: 'BACKUP',
      sizeBytes: 30792482816,
      device: '/dev/disk5s2',
      fileSystem: 'ExFAT',
    });
    assert.equal(
      parseDiskutilInfo(fixture('diskutil-info-disk8.plist'))?.mountPoint,
      '/Volumes/NØKLER',
    );
    assert.equal(
      parseDiskutilInfo(fixture('diskutil-info-disk7s1.plist'))?.mountPoint,
      '/Volumes/Samsung T7',
    );
  });

  it('leaves out a mounted disk image', () => {
    assert.equal(parseDiskutilInfo(fixture('diskutil-info-disk9s1.plist')), undefined);
  });

  it('parses plist values, entities and empty elements', () => {
    assert.deepEqual(
      parsePlist(
        '<?xml version="1.0"?><plist version="1.0"><dict><key>A &amp; B</key><string>x &lt; y &#x263A;</string>' +
          '<key>n</key><integer>-42</integer><key>r</key><real>1.5</real><key>t</key><true/>' +
          '<key>e</key><array/><key>s</key><string/>\n\t<key>w</key><string>  My Drive </string></dict></plist>',
      ),
      { 'A & B': 'x < y \u263a', n: -42, r: 1.5, t: true, e: [], s: '', w: '  My Drive ' },
    );
    assert.throws(() => parsePlist('<plist><dict><key>a</key></dict></plist>'), BackupError);
    assert.throws(() => parsePlist('not a plist'), BackupError);
  });
});

describe('removable drives from Get-Volume', () => {
  it('lists removable volumes with drive letters as mount points', () => {
    assert.deepEqual(parseGetVolumeJson(fixture('get-volume-removable.json')), [
      {
        mountPoint: 'E:\\',
        label: 'KEYS',
        sizeBytes: 15517876224,
        device: '\\\\?\\Volume{6f1d2c3b-4a59-11ef-9b7c-806e6f6e6963}\\',
        fileSystem: 'FAT32',
      },
      {
        mountPoint: 'F:\\',
        label: null,
        sizeBytes: 62008590336,
        device: '\\\\?\\Volume{7a2e3d4c-5b6a-11ef-9b7c-806e6f6e6963}\\',
        fileSystem: 'exFAT',
      },
      {
        mountPoint: null,
        label: 'NØKLER',
        sizeBytes: 8053063680,
        device: '\\\\?\\Volume{8b3f4e5d-6c7b-11ef-9b7c-806e6f6e6963}\\',
        fileSystem: 'FAT32',
      },
    ]);
  });

  it('reads the single object ConvertTo-Json prints for one volume, and empty output', () => {
    const drives = parseGetVolumeJson(fixture('get-volume-removable-single.json'));
    assert.deepEqual(
      drives.map((drive) => drive.mountPoint),
      ['E:\\'],
    );
    assert.deepEqual(parseGetVolumeJson('\r\n'), []);
  });
});

describe('listing the drives of this computer', () => {
  const hasLsblk = process.platform === 'linux' && !spawnSync('lsblk', ['--version']).error;
  it(
    'runs lsblk and returns only removable drives',
    { skip: hasLsblk ? false : 'skipped: needs Linux with lsblk' },
    async () => {
      const drives = await listRemovableDrives();
      const systemDisk = spawnSync('findmnt', ['-n', '-o', 'SOURCE', '/'], { encoding: 'utf8' });
      for (const drive of drives) {
        assert.match(drive.device, /^\/dev\//);
        assert.notEqual(drive.device, systemDisk.stdout.trim(), 'the root filesystem');
      }
    },
  );
});
