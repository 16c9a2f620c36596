import { execFile } from 'node:child_process';
import type { Wording } from '../text/wording.js';
import { BackupError } from './errors.js';
import { backupErrorMessages } from './messages.js';

/** A removable drive a recovery key can be backed up to. */
export interface RemovableDrive {
  /** Where its files are (`/media/ola/KEYS`, `/Volumes/KEYS`, `E:\`); null while not mounted. */
  mountPoint: string | null;
  label: string | null;
  sizeBytes: number | null;
  /** `/dev/sdb1`, `/dev/disk4s1`, or a Windows volume path `\\?\Volume{...}\`. */
  device: string;
  /** As the platform names it: `vfat`, `MS-DOS FAT32`, `exFAT`... */
  fileSystem: string | null;
}

function malformed(tool: string, detail: Wording): BackupError {
  return new BackupError(
    'drive-listing-failed',
    backupErrorMessages.driveListUnreadable(tool, detail),
  );
}

function parseJson(text: string, tool: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(tool, backupErrorMessages.outputNotJson);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Linux: lsblk -J

/** lsblk 2.33 and later print booleans; older versions print "0"/"1". */
function lsblkFlag(value: unknown): boolean {
  return value === true || value === '1' || value === 1;
}

const sizeUnits = 'BKMGTPE';

/** Bytes from `-b` (a number, or a digit string before 2.33) or a human size such as `14.5G`. */
function lsblkSize(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  if (/^\d+$/.test(value)) return Number(value);
  const human = /^(\d+(?:[.,]\d+)?)([BKMGTPE])$/.exec(value);
  if (!human) return null;
  const [, amount = '', unit = 'B'] = human;
  return Math.round(Number(amount.replace(',', '.')) * 1024 ** sizeUnits.indexOf(unit));
}

/** `mountpoints` (2.37 and later) lists every mount; older versions print one `mountpoint`. */
function lsblkMountPoints(device: Record<string, unknown>): string[] {
  const listed = Array.isArray(device.mountpoints) ? device.mountpoints : [device.mountpoint];
  return listed.filter((mount): mount is string => typeof mount === 'string' && mount !== '');
}

/** Mounted here, the disk holds the running system: never offered as a backup drive. */
const systemMountPoints = new Set(['/', '/boot', '/boot/efi', '/efi', '/usr', '/var', '[SWAP]']);
/** Transports of disks inside the machine; their hot-plug capable ports make HOTPLUG=1 common. */
const internalTransports = new Set(['sata', 'ata', 'nvme', 'sas', 'scsi']);
/** Filesystems that only hold other block devices (listed as their children). */
const containerFileSystems = new Set(['crypto_LUKS', 'LVM2_member', 'linux_raid_member', 'swap']);

function lsblkChildren(device: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(device.children) ? device.children.filter(isRecord) : [];
}

function lsblkDescendants(device: Record<string, unknown>): Record<string, unknown>[] {
  return [device, ...lsblkChildren(device).flatMap(lsblkDescendants)];
}

function isRemovableDisk(disk: Record<string, unknown>): boolean {
  if (disk.type !== 'disk') return false;
  if (lsblkFlag(disk.rm)) return true;
  if (disk.tran === 'usb') return true;
  return lsblkFlag(disk.hotplug) && !internalTransports.has(String(disk.tran));
}

function lsblkDevicePath(device: Record<string, unknown>): string {
  const name = String(device.name);
  // Device-mapper names (an opened LUKS volume, LVM) live under /dev/mapper.
  return device.type === 'crypt' || device.type === 'lvm' ? `/dev/mapper/${name}` : `/dev/${name}`;
}

/**
 * The removable filesystems in `lsblk -J -b -o NAME,RM,HOTPLUG,MOUNTPOINT[,MOUNTPOINTS],LABEL,
 * SIZE,TYPE,FSTYPE,TRAN` output: every filesystem on a USB or removable disk (partitions, a
 * whole-disk filesystem, one opened inside LUKS), mounted or not. Disks that hold the running
 * system are left out.
 */
export function parseLsblkJson(text: string): RemovableDrive[] {
  const parsed = parseJson(text, 'lsblk');
  if (!isRecord(parsed) || !Array.isArray(parsed.blockdevices)) {
    throw malformed('lsblk', backupErrorMessages.noBlockDevices);
  }
  return parsed.blockdevices
    .filter(isRecord)
    .filter(isRemovableDisk)
    .filter(
      (disk) =>
        !lsblkDescendants(disk).some((device) =>
          lsblkMountPoints(device).some((mount) => systemMountPoints.has(mount)),
        ),
    )
    .flatMap(lsblkDescendants)
    .filter((device) => {
      const fileSystem = stringOrNull(device.fstype);
      return fileSystem !== null && !containerFileSystems.has(fileSystem);
    })
    .map((device) => ({
      mountPoint: lsblkMountPoints(device)[0] ?? null,
      label: stringOrNull(device.label),
      sizeBytes: lsblkSize(device.size),
      device: lsblkDevicePath(device),
      fileSystem: stringOrNull(device.fstype),
    }));
}

// ---------------------------------------------------------------------------------------------
// macOS: diskutil -plist

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    }
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return entities[entity] ?? whole;
  });
}

/**
 * Parses an XML property list as diskutil prints it: dict, array, string, integer, real, true,
 * false, date (as its text) and data (as its base64 text). Enough for diskutil, not a general
 * XML parser.
 */
export function parsePlist(xml: string): PlistValue {
  const tokens = [
    ...xml
      .replace(/<\?[^]*?\?>|<!--[^]*?-->|<!DOCTYPE[^>]*>/g, '')
      .matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>|([^<]+)/g),
  ].map(([, closing, tag, selfClosing, text]) => ({
    closing: closing === '/',
    tag,
    selfClosing: selfClosing === '/',
    text,
  }));
  let position = 0;

  function fail(): never {
    throw diskutilError(backupErrorMessages.plistMalformed);
  }

  /** The next tag, stepping over the indentation between elements. */
  function peekTag(): (typeof tokens)[number] | undefined {
    while (tokens[position]?.text?.trim() === '') position++;
    return tokens[position];
  }

  function nextTag(): (typeof tokens)[number] {
    const token = peekTag();
    position++;
    if (token?.tag === undefined) fail();
    return token;
  }

  /** Text up to the closing tag, whitespace included: inside a <string> it is content. */
  function textUntilClose(tag: string): string {
    let text = '';
    while (tokens[position]?.text !== undefined) text += tokens[position++]?.text ?? '';
    const close = tokens[position++];
    if (!close?.closing || close.tag !== tag) fail();
    return unescapeXml(text);
  }

  function closeTag(tag: string): void {
    const close = nextTag();
    if (!close.closing || close.tag !== tag) fail();
  }

  function value(): PlistValue {
    const open = nextTag();
    const { tag } = open;
    if (open.closing) fail();
    if (open.selfClosing) {
      if (tag === 'true') return true;
      if (tag === 'false') return false;
      if (tag === 'array') return [];
      if (tag === 'dict') return {};
      if (tag === 'string' || tag === 'data') return '';
      return fail();
    }
    switch (tag) {
      case 'plist': {
        const inner = value();
        closeTag('plist');
        return inner;
      }
      case 'dict': {
        const dict: Record<string, PlistValue> = {};
        while (peekTag() && !peekTag()?.closing) {
          if (nextTag().tag !== 'key') fail();
          dict[textUntilClose('key')] = value();
        }
        closeTag('dict');
        return dict;
      }
      case 'array': {
        const items: PlistValue[] = [];
        while (peekTag() && !peekTag()?.closing) items.push(value());
        closeTag('array');
        return items;
      }
      case 'integer':
      case 'real':
        return Number(textUntilClose(tag));
      case 'string':
      case 'date':
      case 'data':
        return textUntilClose(tag);
      default:
        return fail();
    }
  }

  return value();
}

function diskutilError(detail: Wording): BackupError {
  return malformed('diskutil', detail);
}

type PlistDict = Record<string, PlistValue>;

function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return typeof value === 'object' && !Array.isArray(value);
}

function plistDict(xml: string): PlistDict {
  const parsed = parsePlist(xml);
  if (!isPlistDict(parsed)) throw diskutilError(backupErrorMessages.plistNotDictionary);
  return parsed;
}

function plistRecords(value: PlistValue | undefined): PlistDict[] {
  return Array.isArray(value) ? value.filter(isPlistDict) : [];
}

/** A volume, as opposed to an EFI system partition or an APFS container's physical store. */
function isVolumeEntry(entry: PlistDict): boolean {
  if (entry.Content === 'EFI' || entry.Content === 'Apple_APFS') return false;
  return typeof entry.VolumeName === 'string' || typeof entry.MountPoint === 'string';
}

/**
 * The identifiers of the volumes in `diskutil list -plist external` output: partitions that
 * hold a filesystem, APFS volumes, and disks formatted without a partition table.
 */
export function parseDiskutilList(xml: string): string[] {
  const list = plistDict(xml);
  if (!Array.isArray(list.AllDisksAndPartitions)) {
    throw diskutilError(backupErrorMessages.noDiskList);
  }
  return plistRecords(list.AllDisksAndPartitions).flatMap((disk) => {
    const volumes = [...plistRecords(disk.Partitions), ...plistRecords(disk.APFSVolumes)];
    const whole = volumes.length === 0 && isVolumeEntry(disk) ? [disk] : [];
    return [...whole, ...volumes.filter(isVolumeEntry)]
      .map((entry) => entry.DeviceIdentifier)
      .filter((id): id is string => typeof id === 'string');
  });
}

/**
 * One volume from `diskutil info -plist <id>` output; undefined for a mounted disk image, which
 * `diskutil list external` also shows but is no drive to carry away.
 */
export function parseDiskutilInfo(xml: string): RemovableDrive | undefined {
  const info = plistDict(xml);
  if (info.BusProtocol === 'Disk Image') return undefined;
  const device = stringOrNull(info.DeviceNode);
  if (device === null) throw diskutilError(backupErrorMessages.noDeviceNode);
  const size = info.TotalSize ?? info.Size;
  return {
    mountPoint: stringOrNull(info.MountPoint),
    label: stringOrNull(info.VolumeName),
    sizeBytes: typeof size === 'number' ? size : null,
    device,
    fileSystem: stringOrNull(info.FilesystemName) ?? stringOrNull(info.FilesystemType),
  };
}

// ---------------------------------------------------------------------------------------------
// Windows: Get-Volume | ConvertTo-Json

/** DriveLetter is a [char]: "E" as JSON, its code in some PowerShell versions, null when none. */
function driveLetter(value: unknown): string | null {
  const letter = typeof value === 'number' ? String.fromCharCode(value) : value;
  return typeof letter === 'string' && /^[A-Za-z]$/.test(letter) ? letter.toUpperCase() : null;
}

/** Get-Volume shows DriveType as text; the underlying MSFT_Volume value 2 means removable. */
function isRemovableVolume(volume: Record<string, unknown>): boolean {
  return volume.DriveType === 'Removable' || volume.DriveType === 2;
}

/**
 * The volumes in `Get-Volume | Where-Object DriveType -eq 'Removable' | ConvertTo-Json` output:
 * an array, a single object (ConvertTo-Json unwraps one item), or nothing at all.
 */
export function parseGetVolumeJson(text: string): RemovableDrive[] {
  if (text.trim() === '') return [];
  const parsed = parseJson(text.replace(/^\uFEFF/, ''), 'PowerShell');
  const volumes = (Array.isArray(parsed) ? parsed : [parsed]).filter(isRecord);
  return volumes.filter(isRemovableVolume).map((volume) => {
    const letter = driveLetter(volume.DriveLetter);
    const path = stringOrNull(volume.Path) ?? stringOrNull(volume.UniqueId);
    return {
      mountPoint: letter === null ? null : `${letter}:\\`,
      label: stringOrNull(volume.FileSystemLabel),
      sizeBytes: typeof volume.Size === 'number' ? volume.Size : null,
      device: path ?? (letter === null ? '' : `${letter}:`),
      fileSystem: stringOrNull(volume.FileSystem),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Running the platform's tool

const commandTimeoutMs = 15_000;

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        timeout: commandTimeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const reason =
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? backupErrorMessages.commandNotFound(command)
            : error.killed
              ? backupErrorMessages.commandTimedOut(command, commandTimeoutMs / 1000)
              : backupErrorMessages.commandFailed(
                  command,
                  stderr.trim().split('\n')[0] ?? error.message,
                );
        reject(
          new BackupError('drive-listing-failed', backupErrorMessages.drivesNotListed(reason), {
            cause: error,
          }),
        );
      },
    );
  });
}

const lsblkColumns = 'NAME,RM,HOTPLUG,MOUNTPOINT,LABEL,SIZE,TYPE,FSTYPE,TRAN';

async function listLinuxDrives(): Promise<RemovableDrive[]> {
  try {
    return parseLsblkJson(await run('lsblk', ['-J', '-b', '-o', `${lsblkColumns},MOUNTPOINTS`]));
  } catch (error) {
    // util-linux before 2.37 has no MOUNTPOINTS column and refuses the whole command.
    if (!(error instanceof BackupError) || !/unknown column/i.test(error.message)) throw error;
    return parseLsblkJson(await run('lsblk', ['-J', '-b', '-o', lsblkColumns]));
  }
}

async function listMacDrives(): Promise<RemovableDrive[]> {
  // Not "external physical": an APFS-formatted drive's volumes sit on a synthesized disk.
  const ids = parseDiskutilList(await run('diskutil', ['list', '-plist', 'external']));
  const drives: RemovableDrive[] = [];
  for (const id of ids) {
    const drive = parseDiskutilInfo(await run('diskutil', ['info', '-plist', id]));
    if (drive) drives.push(drive);
  }
  return drives;
}

async function listWindowsDrives(): Promise<RemovableDrive[]> {
  const script =
    '[Console]::OutputEncoding = [Text.Encoding]::UTF8; ' +
    "Get-Volume | Where-Object DriveType -eq 'Removable' | ConvertTo-Json";
  return parseGetVolumeJson(
    await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script]),
  );
}

/**
 * The removable drives on this computer, mounted or not, from the platform's own tool (lsblk,
 * diskutil, PowerShell's Get-Volume). Windows counts USB sticks and SD cards as removable, but
 * not USB hard disks: those are reached by naming their drive letter.
 */
export function listRemovableDrives(): Promise<RemovableDrive[]> {
  switch (process.platform) {
    case 'linux':
      return listLinuxDrives();
    case 'darwin':
      return listMacDrives();
    case 'win32':
      return listWindowsDrives();
    default:
      return Promise.reject(
        new BackupError(
          'drive-listing-failed',
          backupErrorMessages.listingUnsupported(process.platform),
        ),
      );
  }
}
