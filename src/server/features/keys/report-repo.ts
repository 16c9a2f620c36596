import type { Owner } from '../../../db/owners.js';
import type { VolumeType } from '../../../db/schema.js';
import { ownerFilter, type Db } from './owner-filter.js';

/**
 * The rows a coverage report is computed from: every device, drive and key (not in the bin) of
 * one library, with no secret among them.
 */

export interface ReportDeviceRow {
  id: string;
  name: string;
  assignee_email: string | null;
  last_seen_at: string | null;
  created_at: string;
}

export interface ReportDriveRow {
  id: string;
  device_id: string;
  label: string;
  type: VolumeType;
  volume_guid: string | null;
}

export interface ReportKeyRow {
  id: string;
  volume_id: string;
  protector_hex: string;
  created_at: string;
  rotation_required_at: string | null;
  proven_at: string | null;
}

export function devicesForReport(db: Db, owner: Owner): Promise<ReportDeviceRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('devices as d')
    .leftJoin('users as u', 'u.id', 'd.assigned_user_id')
    .select(['d.id', 'd.name', 'u.email as assignee_email', 'd.last_seen_at', 'd.created_at'])
    .where(`d.${column}`, '=', value)
    .orderBy('d.name')
    .orderBy('d.id')
    .execute();
}

export function drivesForReport(db: Db, owner: Owner): Promise<ReportDriveRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('volumes')
    .select(['id', 'device_id', 'label', 'type', 'volume_guid'])
    .where(column, '=', value)
    .orderBy('label')
    .orderBy('id')
    .execute();
}

export function keysForReport(db: Db, owner: Owner): Promise<ReportKeyRow[]> {
  const { column, value } = ownerFilter(owner);
  return db
    .selectFrom('recovery_keys')
    .select(['id', 'volume_id', 'protector_hex', 'created_at', 'rotation_required_at', 'proven_at'])
    .where(column, '=', value)
    .where('deleted_at', 'is', null)
    .execute();
}
