import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { authorize, type Library, type LibraryAccess } from '../../policies.js';
import * as devicesRepo from './devices-repo.js';
import { getDevice, type DeviceDetail } from './devices.js';
import { librarySubject, notFoundLibrary } from './key-access.js';
import { NotFoundError } from '../../errors.js';
import { idPattern } from '../../../db/ids.js';
import type { KeySummaryRow } from './keys-repo.js';
import type { Db } from './owner-filter.js';
import * as repo from './rotation-repo.js';
import { things } from '../../messages.js';

/**
 * Single-use keys: once an organisation's key has been read out, anyone who heard it can unlock
 * the drive, so the key is marked for rotation until the device sends a newer key for the same
 * drive. Admins can mark a device, or the whole organisation, the same way (a stolen laptop
 * returned, a helpdesk account compromised).
 */

/**
 * Marks a revealed organisation key, in `db` (the transaction that records the hand-over, when
 * there is one); a person's own keys are theirs to handle.
 */
export async function markRevealed(
  ctx: ServerContext,
  access: LibraryAccess,
  row: KeySummaryRow,
  db: Db = ctx.db,
): Promise<void> {
  if (access.library.kind !== 'organisation' || row.rotation_required_at !== null) return;
  await repo.markKey(db, access.owner, row.id, ctx.now().toISOString());
}

/** Marks the current key of every drive of one device; audited. */
export async function rotateDevice(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  deviceId: string,
): Promise<{ marked: number; device: DeviceDetail }> {
  const access = authorize(caller, 'manage', library, things.device);
  const device = idPattern.test(deviceId)
    ? await devicesRepo.findDevice(ctx.db, access.owner, undefined, deviceId)
    : undefined;
  if (!device) throw new NotFoundError(things.device);
  const marked = await ctx.database.transaction(async (trx) => {
    const count = await repo.markCurrentKeys(trx, access.owner, device.id, ctx.now().toISOString());
    await ctx.audit.record(trx, caller, {
      action: 'rotation_requested',
      ...librarySubject(access, device.assigned_user_id),
      details: { deviceId: device.id, deviceName: device.name, marked: count },
    });
    return count;
  });
  return { marked, device: await getDevice(ctx, caller, library, device.id) };
}

/** Marks the current key of every drive in the organisation; audited. */
export async function rotateOrganisation(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
): Promise<{ marked: number }> {
  const access = authorize(caller, 'manage', library, notFoundLibrary(library));
  const marked = await ctx.database.transaction(async (trx) => {
    const count = await repo.markCurrentKeys(trx, access.owner, undefined, ctx.now().toISOString());
    await ctx.audit.record(trx, caller, {
      action: 'rotation_requested',
      ...librarySubject(access),
      details: { scope: 'organisation', marked: count },
    });
    return count;
  });
  return { marked };
}
