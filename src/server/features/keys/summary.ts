import type { z } from 'zod';
import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import type { BackupDestination } from '../../../db/schema.js';
import type { KeySummaryRow } from './keys-repo.js';
import type { keySummary as keySummarySchema } from './schema.js';

/**
 * A key as every list and detail shows it: the response schema's type, so the two cannot drift.
 * It has no field for the recovery password.
 */
export type KeySummary = z.infer<typeof keySummarySchema>;

export const offlineDestinations: readonly BackupDestination[] = ['usb', 'file', 'print'];

/** The LUKS UUID as cryptsetup prints it (lower case, dashed) from its stored hex digits. */
export function luksUuidOf(hex: string): string {
  return parseProtectorId(hex).toLowerCase();
}

export function keySummary(row: KeySummaryRow): KeySummary {
  return {
    id: row.id,
    kind: row.kind,
    protectorId: parseProtectorId(row.protector_hex),
    shortId: row.protector_hex.slice(0, 8),
    luks:
      row.luks_uuid_hex !== null && row.luks_slot !== null
        ? { uuid: luksUuidOf(row.luks_uuid_hex), slot: row.luks_slot }
        : null,
    deviceId: row.device_id,
    deviceName: row.device_name,
    volume: { label: row.volume_label, type: row.volume_type, volumeGuid: row.volume_guid },
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    backupCount: row.backup_count,
    lastBackup:
      row.last_backup_destination !== null && row.last_backup_at !== null
        ? { destination: row.last_backup_destination, at: row.last_backup_at }
        : null,
    hasOfflineBackup: row.offline_backup_at !== null,
    inVault: row.in_vault_at !== null,
    deletedAt: row.deleted_at,
    rotationRequired: row.rotation_required_at !== null,
    rotationRequiredSince: row.rotation_required_at,
    provenAt: row.proven_at,
  };
}

/** How a key is named where only a name is shown (a locked vault): device, drive, Key ID. */
export function keyDisplayName(row: KeySummaryRow): string {
  const place = [row.device_name, row.volume_label].filter((part) => part !== '').join(' ');
  const shortId = row.protector_hex.slice(0, 8);
  return place === '' ? shortId : `${place} · ${shortId}`;
}
