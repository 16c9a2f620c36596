import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { VolumeType } from '../../api/keys.js';

/**
 * What kind of drive a LUKS volume is, as Linux tells it: `os` when the root file system is
 * opened from it, `removable` when its disk says so (USB sticks, card readers), else `fixed`.
 * An image file, or a system that does not say, counts as `fixed`.
 */

export interface LinuxSystemView {
  /** Where sysfs is mounted (`/sys`). */
  sys: string;
  /** The text of /proc/self/mountinfo. */
  mountInfo: () => Promise<string>;
}

const linux: LinuxSystemView = {
  sys: '/sys',
  mountInfo: () => readFile('/proc/self/mountinfo', 'utf8'),
};

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The `major:minor` of the file system mounted at `/`. */
function rootDevice(mountInfo: string): string | undefined {
  for (const line of mountInfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[4] === '/') return fields[2];
  }
  return undefined;
}

export async function luksDriveType(
  device: string,
  system: LinuxSystemView = linux,
): Promise<VolumeType> {
  let resolved: string;
  try {
    resolved = await realpath(device);
  } catch {
    return 'fixed';
  }
  if (!resolved.startsWith('/dev/')) return 'fixed';
  const block = join(system.sys, 'class', 'block', basename(resolved));
  // The volume's opened mappings (dm-N) are its holders; one of them may be the root file system.
  const root = rootDevice(await system.mountInfo().catch(() => ''));
  let holders: string[] = [];
  try {
    holders = await readdir(join(block, 'holders'));
  } catch {
    // Not opened, or not a block device sysfs knows.
  }
  for (const holder of holders) {
    if ((await readText(join(system.sys, 'class', 'block', holder, 'dev'))) === root) return 'os';
  }
  // A partition's removable flag is its disk's: the folder that holds the partition's.
  let disk = block;
  if ((await readText(join(block, 'partition'))) !== undefined) {
    try {
      disk = dirname(await realpath(block));
    } catch {
      return 'fixed';
    }
  }
  return (await readText(join(disk, 'removable'))) === '1' ? 'removable' : 'fixed';
}
