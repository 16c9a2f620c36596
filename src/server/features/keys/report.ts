import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { csvTable } from '../../../text/csv.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { authorize, type Library } from '../../policies.js';
import { notFoundLibrary } from './key-access.js';
import * as repo from './report-repo.js';
import type { CoverageReport } from './schema.js';

/**
 * The coverage report of a library: which drives have an escrowed recovery key, which keys wait
 * for rotation or were never proven against their volume, which devices have not reported for a
 * while. For owners, admins and auditors; it names Key IDs, never a password.
 */

/** Each list of the JSON report stops here; the counts always cover the whole library. */
export const reportListLimit = 1000;
const dayMs = 24 * 60 * 60 * 1000;

interface DriveCoverage {
  device: repo.ReportDeviceRow;
  drive: repo.ReportDriveRow | undefined;
  /** The drive's newest key not in the bin: the one that unlocks it today. */
  currentKey: repo.ReportKeyRow | undefined;
}

interface Coverage {
  generatedAt: string;
  staleDays: number;
  staleDeviceIds: Set<string>;
  rows: DriveCoverage[];
}

function newer(a: repo.ReportKeyRow, b: repo.ReportKeyRow): boolean {
  return a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id);
}

async function coverageOf(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  staleDays: number,
): Promise<Coverage> {
  const access = authorize(caller, 'audit', library, notFoundLibrary(library));
  const [devices, drives, keys] = await Promise.all([
    repo.devicesForReport(ctx.db, access.owner),
    repo.drivesForReport(ctx.db, access.owner),
    repo.keysForReport(ctx.db, access.owner),
  ]);
  const currentKeys = new Map<string, repo.ReportKeyRow>();
  for (const key of keys) {
    const current = currentKeys.get(key.volume_id);
    if (!current || newer(key, current)) currentKeys.set(key.volume_id, key);
  }
  const drivesOfDevice = new Map<string, repo.ReportDriveRow[]>();
  for (const drive of drives) {
    const list = drivesOfDevice.get(drive.device_id) ?? [];
    list.push(drive);
    drivesOfDevice.set(drive.device_id, list);
  }
  const now = ctx.now();
  const staleBefore = new Date(now.getTime() - staleDays * dayMs).toISOString();
  const staleDeviceIds = new Set<string>();
  const rows: DriveCoverage[] = [];
  for (const device of devices) {
    if ((device.last_seen_at ?? device.created_at) < staleBefore) staleDeviceIds.add(device.id);
    const ofDevice = drivesOfDevice.get(device.id) ?? [];
    if (ofDevice.length === 0) rows.push({ device, drive: undefined, currentKey: undefined });
    for (const drive of ofDevice)
      rows.push({ device, drive, currentKey: currentKeys.get(drive.id) });
  }
  return { generatedAt: now.toISOString(), staleDays, staleDeviceIds, rows };
}

function keyItem(row: DriveCoverage & { currentKey: repo.ReportKeyRow }) {
  return {
    keyId: row.currentKey.id,
    protectorId: parseProtectorId(row.currentKey.protector_hex),
    shortId: row.currentKey.protector_hex.slice(0, 8),
    deviceId: row.device.id,
    deviceName: row.device.name,
    driveLabel: row.drive?.label ?? '',
    createdAt: row.currentKey.created_at,
    rotationRequiredSince: row.currentKey.rotation_required_at,
    provenAt: row.currentKey.proven_at,
  };
}

function hasKey(row: DriveCoverage): row is DriveCoverage & { currentKey: repo.ReportKeyRow } {
  return row.currentKey !== undefined;
}

export async function coverageReport(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  { staleDays }: { staleDays: number },
): Promise<CoverageReport> {
  const coverage = await coverageOf(ctx, caller, library, staleDays);
  const withDrive = coverage.rows.filter((row) => row.drive !== undefined);
  const withoutKey = withDrive.filter((row) => row.currentKey === undefined);
  const keyed = withDrive.filter(hasKey);
  const rotation = keyed.filter((row) => row.currentKey.rotation_required_at !== null);
  const neverProven = keyed.filter((row) => row.currentKey.proven_at === null);
  const devices = new Map(coverage.rows.map((row) => [row.device.id, row.device]));
  const stale = [...devices.values()].filter((device) => coverage.staleDeviceIds.has(device.id));
  const cut = <T>(items: T[]) => items.slice(0, reportListLimit);
  return {
    generatedAt: coverage.generatedAt,
    staleDays: coverage.staleDays,
    counts: {
      devices: devices.size,
      drives: withDrive.length,
      drivesEscrowed: keyed.length,
      drivesWithoutKey: withoutKey.length,
      keys: keyed.length,
      keysRotationRequired: rotation.length,
      keysNeverProven: neverProven.length,
      devicesRotationRequired: new Set(rotation.map((row) => row.device.id)).size,
      devicesNotSeen: stale.length,
    },
    drivesWithoutKey: cut(withoutKey).map((row) => ({
      deviceId: row.device.id,
      deviceName: row.device.name,
      drive: {
        id: row.drive?.id ?? '',
        label: row.drive?.label ?? '',
        type: row.drive?.type ?? 'os',
        volumeGuid: row.drive?.volume_guid ?? null,
      },
    })),
    keysRotationRequired: cut(rotation).map(keyItem),
    keysNeverProven: cut(neverProven).map(keyItem),
    devicesNotSeen: cut(stale).map((device) => ({
      deviceId: device.id,
      deviceName: device.name,
      assigneeEmail: device.assignee_email,
      lastSeenAt: device.last_seen_at,
    })),
    truncated: [withoutKey, rotation, neverProven, stale].some(
      (list) => list.length > reportListLimit,
    ),
  };
}

const csvColumns = [
  'deviceName',
  'deviceId',
  'assigneeEmail',
  'lastSeenAt',
  'notSeen',
  'driveLabel',
  'driveType',
  'volumeGuid',
  'escrowed',
  'keyId',
  'rotationRequired',
  'rotationRequiredSince',
  'provenAt',
] as const;

type CsvRow = Record<(typeof csvColumns)[number], string | boolean | null>;

/** The report as a table, one row per drive (a device without drives gets one row). */
export async function coverageReportCsv(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  { staleDays }: { staleDays: number },
): Promise<{ fileName: string; body: string }> {
  const coverage = await coverageOf(ctx, caller, library, staleDays);
  const rows = coverage.rows.map(({ device, drive, currentKey }): CsvRow => ({
    deviceName: device.name,
    deviceId: device.id,
    assigneeEmail: device.assignee_email,
    lastSeenAt: device.last_seen_at,
    notSeen: coverage.staleDeviceIds.has(device.id),
    driveLabel: drive?.label ?? null,
    driveType: drive?.type ?? null,
    volumeGuid: drive?.volume_guid ?? null,
    escrowed: drive === undefined ? null : currentKey !== undefined,
    keyId: currentKey ? parseProtectorId(currentKey.protector_hex) : null,
    rotationRequired: currentKey ? currentKey.rotation_required_at !== null : null,
    rotationRequiredSince: currentKey?.rotation_required_at ?? null,
    provenAt: currentKey?.proven_at ?? null,
  }));
  const day = coverage.generatedAt.slice(0, 10);
  return { fileName: `keyhold-coverage-${day}.csv`, body: csvTable(csvColumns, rows) };
}
