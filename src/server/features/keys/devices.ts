import { idPattern } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { authorize, type Library, type LibraryAccess } from '../../policies.js';
import { normalizeEmail } from '../../accounts/email.js';
import * as repo from './devices-repo.js';
import { librarySubject, notFoundLibrary } from './key-access.js';
import type { Db } from './owner-filter.js';
import { keySummary, type KeySummary } from './summary.js';
import { fieldReasons, refusals, things } from '../../messages.js';

/**
 * A library's devices: the computers its keys unlock, the person of the organisation each is
 * assigned to, their drives and each drive's keys, the current one and those it replaced.
 */

export interface DeviceView {
  id: string;
  name: string;
  assignee: { accountId: string; email: string; displayName: string } | null;
  /** `required` while a key of one of its drives waits to be replaced. */
  rotation: 'none' | 'required';
  rotationRequiredSince: string | null;
  /** When a key of the device last arrived or was confirmed. */
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DriveView {
  id: string;
  label: string;
  type: KeySummary['volume']['type'];
  volumeGuid: string | null;
  /** The newest key not in the bin: the one that unlocks the drive today. */
  currentKey: KeySummary | null;
  /** Older keys and keys in the bin, newest first. */
  previousKeys: KeySummary[];
}

export type DeviceDetail = DeviceView & { drives: DriveView[] };

export interface DevicePage {
  items: DeviceView[];
  nextCursor: string | null;
}

const devicesPerPage = 100;

function deviceView(row: repo.DeviceListRow): DeviceView {
  return {
    id: row.id,
    name: row.name,
    assignee:
      row.assigned_user_id !== null
        ? {
            accountId: row.assigned_user_id,
            email: row.assignee_email ?? '',
            displayName: row.assignee_display_name ?? '',
          }
        : null,
    rotation: row.rotation_required_since === null ? 'none' : 'required',
    rotationRequiredSince: row.rotation_required_since,
    lastSeenAt: row.last_seen_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function encodeCursor(row: { name: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.name, row.id]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): { name: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      idPattern.test(value[1])
    ) {
      return { name: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the one message for every malformed cursor.
  }
  throw new ValidationError(refusals.cursorFromFirstPage, [
    { field: 'cursor', reason: fieldReasons.cursorAsGiven },
  ]);
}

/** The library's devices by name; an organisation's members see those assigned to them. */
export async function listDevices(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  query: { cursor?: string | undefined },
): Promise<DevicePage> {
  const access = authorize(caller, 'read', library, notFoundLibrary(library));
  const rows = await repo.listDevices(ctx.db, access.owner, {
    assignee: access.assignee,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: devicesPerPage + 1,
  });
  const items = rows.slice(0, devicesPerPage);
  const last = items.at(-1);
  return {
    items: items.map(deviceView),
    nextCursor: rows.length > devicesPerPage && last ? encodeCursor(last) : null,
  };
}

async function deviceInReach(
  ctx: ServerContext,
  access: LibraryAccess,
  id: string,
): Promise<repo.DeviceListRow> {
  const row = idPattern.test(id)
    ? await repo.findDevice(ctx.db, access.owner, access.assignee, id)
    : undefined;
  if (!row) throw new NotFoundError(things.device);
  return row;
}

/** One device with its drives and each drive's current and previous keys (never a password). */
export async function getDevice(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<DeviceDetail> {
  const access = authorize(caller, 'read', library, things.device);
  const device = await deviceInReach(ctx, access, id);
  const [drives, keys] = await Promise.all([
    repo.drivesOf(ctx.db, access.owner, device.id),
    repo.keysOfDevice(ctx.db, access.owner, device.id),
  ]);
  return {
    ...deviceView(device),
    drives: drives.map((drive) => {
      const onDrive = keys.filter((key) => key.volume_id === drive.id);
      const current = onDrive.find((key) => key.deleted_at === null);
      return {
        id: drive.id,
        label: drive.label,
        type: drive.type,
        volumeGuid: drive.volume_guid,
        currentKey: current ? keySummary(current) : null,
        previousKeys: onDrive.filter((key) => key !== current).map(keySummary),
      };
    }),
  };
}

/**
 * The account a device of an organisation's library is assigned to, found by email among the
 * organisation's members; a personal library has nobody to assign.
 */
export async function assigneeByEmail(
  db: Db,
  access: LibraryAccess,
  email: string,
): Promise<string> {
  const found =
    access.library.kind === 'organisation'
      ? await repo.memberByEmail(db, access.library.organisationId, normalizeEmail(email))
      : undefined;
  if (!found) {
    throw new ValidationError(
      {
        en: 'A device can only be assigned to a member of the organisation: add the person first.',
        nb: 'En enhet kan bare tildeles et medlem av organisasjonen: legg til personen først.',
      },
      [{ field: 'assigneeEmail', reason: fieldReasons.notAMember }],
    );
  }
  return found.id;
}

/** Assigns a device to a member of the organisation, or (null) to nobody; audited. */
export async function assignDevice(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  input: { assigneeEmail: string | null },
): Promise<DeviceDetail> {
  const access = authorize(caller, 'write', library, things.device);
  const device = await deviceInReach(ctx, access, id);
  const assignee =
    input.assigneeEmail === null
      ? null
      : await assigneeByEmail(ctx.db, access, input.assigneeEmail);
  if (assignee !== device.assigned_user_id) {
    await ctx.database.transaction(async (trx) => {
      await repo.assignDevice(trx, access.owner, device.id, assignee, ctx.now().toISOString());
      await ctx.audit.record(trx, caller, {
        action: 'device_assigned',
        ...librarySubject(access, assignee),
        details: { deviceId: device.id, deviceName: device.name, from: device.assigned_user_id },
      });
    });
  }
  return getDevice(ctx, caller, library, id);
}
