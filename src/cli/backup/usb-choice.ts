import { stat } from 'node:fs/promises';
import { BackupError } from '../../backup/errors.js';
import { listRemovableDrives, type RemovableDrive } from '../../backup/drives.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import type { PlannedDestination } from './destinations.js';
import { backupMessages } from './messages.js';

function driveLine(drive: RemovableDrive): string {
  const label = drive.label ? ` (${drive.label})` : '';
  return `  --usb ${drive.mountPoint ?? say(backupMessages.notMounted)}${label}  ${drive.device}`;
}

/** Checks a mount point given with --usb: it must be a folder that exists. */
export async function usbFromPath(mountPoint: string): Promise<PlannedDestination> {
  const info = await stat(mountPoint).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new CliError(say(backupMessages.usbNoSuchFolder(mountPoint)));
  }
  return { kind: 'usb', mountPoint };
}

/**
 * The mounted removable drives from the platform's own tool. A failure to list them is an
 * environment failure with a way out (--usb).
 */
export async function mountedDrives(): Promise<RemovableDrive[]> {
  try {
    return (await listRemovableDrives()).filter((drive) => drive.mountPoint !== null);
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(say(error.wording), ExitCode.environment);
    throw error;
  }
}

/** The single mounted drive from a list, or an error listing the choices. */
export function onlyDrive(drives: readonly RemovableDrive[]): PlannedDestination {
  const mounted = drives.filter((drive) => drive.mountPoint !== null);
  const [drive] = mounted;
  if (mounted.length === 1 && drive?.mountPoint) {
    return { kind: 'usb', mountPoint: drive.mountPoint, label: drive.label };
  }
  if (mounted.length === 0) {
    throw new CliError(say(backupMessages.noUsbDrive), ExitCode.environment);
  }
  throw new CliError(
    say(backupMessages.severalUsbDrives(mounted.length, mounted.map(driveLine).join('\n'))),
  );
}

/** --usb when given, else the one removable drive plugged in. */
export async function chooseUsbDrive(mountPoint: string | undefined): Promise<PlannedDestination> {
  if (mountPoint !== undefined) return usbFromPath(mountPoint);
  return onlyDrive(await mountedDrives());
}
