import type { Owner } from '../../../db/owners.js';
import type { VolumeType } from '../../../db/schema.js';
import { summaries, type KeySummaryRow } from './keys-repo.js';
import { ownerFilter, type Db } from './owner-filter.js';

/**
 * Queries for devices: a library's computers with the person each is assigned to, their drives
 * and each drive's keys. Every query filters by the owner, and by the assignee when the caller
 * reaches only the devices assigned to them.
 */

export interface DeviceListRow {
  id: string;
  name: string;
  assigned_user_id: string | null;
  assignee_email: string | null;
  assignee_display_name: string | null;
  last_seen_at: string | null;
  /** The oldest mark for rotation among the device's keys; null when none waits. */
  rotation_required_since: string | null;
  created_at: string;
  updated_at: string;
}

function devicesOf(db: Db, owner: Owner, assignee: string | undefined) {
  const { column, value } = ownerFilter(owner);
  let query = db
    .selectFrom('devices as d')
    .leftJoin('users as u', 'u.id', 'd.assigned_user_id')
    .select([
      'd.id',
      'd.name',
      'd.assigned_user_id',
      'u.email as assignee_email',
      'u.display_name as assignee_display_name',
      'd.last_seen_at',
      (eb) =>
        eb
          .selectFrom('volumes as rv')
          .innerJoin('recovery_keys as rk', 'rk.volume_id', 'rv.id')
          .select((inner) => inner.fn.min<string>('rk.rotation_required_at').as('since'))
          .whereRef('rv.device_id', '=', 'd.id')
          .where('rk.deleted_at', 'is', null)
          .as('rotation_required_since'),
      'd.created_at',
      'd.updated_at',
    ])
    .where(`d.${column}`, '=', value);
  if (assignee !== undefined) query = query.where('d.assigned_user_id', '=', assignee);
  return query;
}

/** A page of the library's devices by name (then id), after `after`. */
export function listDevices(
  db: Db,
  owner: Owner,
  {
    assignee,
    after,
    limit,
  }: {
    assignee: string | undefined;
    after: { name: string; id: string } | undefined;
    limit: number;
  },
): Promise<DeviceListRow[]> {
  let query = devicesOf(db, owner, assignee);
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('d.name', '>', after.name),
        eb.and([eb('d.name', '=', after.name), eb('d.id', '>', after.id)]),
      ]),
    );
  }
  return query.orderBy('d.name').orderBy('d.id').limit(limit).execute();
}

export function findDevice(
  db: Db,
  owner: Owner,
  assignee: string | undefined,
  id: string,
): Promise<DeviceListRow | undefined> {
  return devicesOf(db, owner, assignee).where('d.id', '=', id).executeTakeFirst();
}

export interface DriveRow {
  id: string;
  label: string;
  type: VolumeType;
  volume_guid: string | null;
}

export function drivesOf(db: Db, owner: Owner, deviceId: string): Promise<DriveRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('volumes')
    .select(['id', 'label', 'type', 'volume_guid'])
    .where(column, '=', value)
    .where('device_id', '=', deviceId)
    .orderBy('label')
    .orderBy('id')
    .execute();
}

/** The keys on a device's drives (the bin included), newest first, each with its drive id. */
export function keysOfDevice(
  db: Db,
  owner: Owner,
  deviceId: string,
): Promise<(KeySummaryRow & { volume_id: string })[]> {
  const { column, value } = ownerFilter(owner);
  return summaries(db, column, value)
    .select('v.id as volume_id')
    .where('d.id', '=', deviceId)
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .execute();
}

/** Assigns one of the owner's devices to a person, or to nobody; false when there is no such device. */
export async function assignDevice(
  db: Db,
  owner: Owner,
  id: string,
  assignee: string | null,
  at: string,
): Promise<boolean> {
  const { column, value } = ownerFilter(owner);
  const result = await db
    .updateTable('devices')
    .set({ assigned_user_id: assignee, updated_at: at })
    .where(column, '=', value)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The member of the organisation with this email, if there is one. */
export function memberByEmail(
  db: Db,
  organisationId: string,
  emailNormalized: string,
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select('users.id')
    .where('memberships.organisation_id', '=', organisationId)
    .where('users.email_normalized', '=', emailNormalized)
    .executeTakeFirst();
}
