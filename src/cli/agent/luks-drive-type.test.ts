import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { luksDriveType } from './luks-drive-type.js';

/**
 * A sysfs of our own, for a real device node (/dev/null stands for the LUKS partition): what
 * Linux shows of an opened root volume, a USB stick's partition and a plain internal disk.
 */
describe('the drive type of a LUKS volume', () => {
  let sys = '';
  const rootMounted = '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n';
  const block = () => join(sys, 'class', 'block');

  before(async () => {
    sys = await mkdtemp(join(tmpdir(), 'keyhold-sysfs-'));
    await mkdir(join(sys, 'class', 'block', 'dm-0'), { recursive: true });
    await writeFile(join(sys, 'class', 'block', 'dm-0', 'dev'), '253:0\n');
  });
  after(() => rm(sys, { recursive: true, force: true }));

  async function partitionOf(removable: '0' | '1', opened: boolean) {
    await rm(join(block(), 'null'), { force: true, recursive: true });
    const disk = join(sys, 'devices', `disk-${removable}-${String(opened)}`);
    await mkdir(join(disk, 'null', 'holders'), { recursive: true });
    await writeFile(join(disk, 'removable'), `${removable}\n`);
    await writeFile(join(disk, 'null', 'partition'), '1\n');
    if (opened) await mkdir(join(disk, 'null', 'holders', 'dm-0'));
    await symlink(join(disk, 'null'), join(block(), 'null'));
  }

  const view = (mountInfo: string) => ({ sys, mountInfo: () => Promise.resolve(mountInfo) });

  it('is the OS drive when the root file system is opened from it', async () => {
    await partitionOf('0', true);
    assert.equal(await luksDriveType('/dev/null', view(rootMounted)), 'os');
  });

  it('is removable when its disk says so, and fixed when it does not', async () => {
    await partitionOf('1', false);
    assert.equal(await luksDriveType('/dev/null', view(rootMounted)), 'removable');
    await partitionOf('0', false);
    assert.equal(await luksDriveType('/dev/null', view(rootMounted)), 'fixed');
  });

  it('is fixed for an image file, or a device sysfs does not know', async () => {
    const image = join(sys, 'volume.img');
    await writeFile(image, '');
    assert.equal(await luksDriveType(image, view(rootMounted)), 'fixed');
    assert.equal(await luksDriveType('/dev/zero', view(rootMounted)), 'fixed');
  });
});
