import { newId } from '../../../db/ids.js';
import { ownerColumns } from '../../../db/owners.js';
import type {
  KeyBackupsTable,
  SealedSecretsTable,
  VolumesTable,
  VolumeType,
} from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import type { LibraryAccess } from '../../policies.js';
import * as bulk from './bulk-repo.js';
import { passwordRef } from './key-access.js';
import { markDeviceSeen, renameDevice, updateVolume } from './keys-repo.js';
import { placementAfterSave, type Placement, type ValidKey } from './new-key.js';
import { nameTerms, normalizeName } from './normalize.js';
import type { Db } from './owner-filter.js';
import { clearReplacedKeys, markKeys } from './rotation-repo.js';
import { firstBackupRecord, newKeyRow } from './store-key.js';

/**
 * Storing an import's keys thousands at a time, each as storeKey stores a new key: it finds or
 * creates its device and drive, the device counts as seen when the key was made, a key replaces
 * the rotation marks of the drive's older keys, and it gets its sealed password and its first
 * backup. A batch's devices and drives are read in a few statements and its rows written a few
 * hundred to a statement, where one key at a time takes some ten statements per key.
 */

export interface ImportedKey {
  key: ValidKey;
  /** When the key was made, as its source says; the time of the import when it does not. */
  createdAt: string | undefined;
  /** The source says the key was handed out already: it arrives marked for rotation. */
  disclosed: boolean;
}

/** A key ready to store: what does not depend on the library, made before the transaction. */
export interface SealedKey extends ImportedKey {
  id: string;
  password: SealedSecretsTable;
  backup: KeyBackupsTable;
}

/** What became of a key: added, or found stored already (with the same or another password). */
export type ImportedOutcome = 'added' | 'already_stored' | 'different_password';

/**
 * Gives each key its id and seals its password (the costly part), outside any transaction so
 * the database's writer is not held meanwhile.
 */
export function sealKeys(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  keys: readonly ImportedKey[],
  at: string,
): SealedKey[] {
  const seal = ctx.secrets.rowSealer();
  return keys.map((entry) => {
    const id = newId();
    return {
      ...entry,
      id,
      password: seal(passwordRef(access.owner, id), entry.key.recoveryPassword),
      backup: firstBackupRecord(id, caller.accountId, at),
    };
  });
}

interface VolumeState {
  id: string;
  label: string;
  type: VolumeType;
  volumeGuid: string | null;
  /** Stored before this batch (else it is inserted with the batch). */
  stored: boolean;
  /** A stored volume whose label or type a key of the batch changed. */
  changed: boolean;
  /** A stored volume's newest key in the batch: the volume's older keys need no rotation. */
  newest: { id: string; createdAt: string } | undefined;
}

interface DeviceState {
  id: string;
  /** The latest spelling a key of the batch gave. */
  name: string;
  nameNormalized: string;
  stored: boolean;
  renamed: boolean;
  /** When the newest of the batch's keys for the device was made. */
  seenAt: string;
  volumes: VolumeState[];
}

function findVolume(device: DeviceState, volume: Placement['volume']): VolumeState | undefined {
  const byGuid = volume.volumeGuid !== null && volume.volumeGuid !== '';
  return device.volumes.find((stored) =>
    byGuid
      ? stored.volumeGuid === volume.volumeGuid
      : stored.label === volume.label && stored.volumeGuid === null,
  );
}

const later = (a: string, b: string) => (a > b ? a : b);

/**
 * Stores new keys in the caller's transaction; `at` is the time of the import. A key already
 * stored under its Key ID (another import may have added it meanwhile) is left as it is.
 */
export async function storeSealedKeys(
  ctx: ServerContext,
  db: Db,
  access: LibraryAccess,
  keys: readonly SealedKey[],
  at: string,
): Promise<ImportedOutcome[]> {
  const owner = access.owner;
  const ownedBy = ownerColumns(owner);
  const outcomes: ImportedOutcome[] = [];
  const existing = await bulk.findKeysByProtectors(
    db,
    owner,
    keys.map((entry) => entry.key.protectorHex),
  );
  const placed = keys.map((entry) => {
    const { placement } = placementAfterSave(entry.key.given, entry.key.fallback, false);
    return { entry, placement, nameNormalized: normalizeName(placement.deviceName) };
  });

  const devices = new Map<string, DeviceState>();
  const storedDevices = await bulk.findDevicesByNames(db, owner, [
    ...new Set(placed.map((each) => each.nameNormalized)),
  ]);
  const deviceById = new Map<string, DeviceState>();
  for (const row of storedDevices) {
    const device: DeviceState = {
      id: row.id,
      name: row.name,
      nameNormalized: row.name_normalized,
      stored: true,
      renamed: false,
      seenAt: '',
      volumes: [],
    };
    devices.set(row.name_normalized, device);
    deviceById.set(row.id, device);
  }
  for (const row of await bulk.findVolumesOfDevices(db, owner, [...deviceById.keys()])) {
    deviceById.get(row.device_id)?.volumes.push({
      id: row.id,
      label: row.label,
      type: row.type,
      volumeGuid: row.volume_guid,
      stored: true,
      changed: false,
      newest: undefined,
    });
  }

  const rows: bulk.NewRows = {
    devices: [],
    terms: [],
    volumes: [],
    keys: [],
    passwords: [],
    backups: [],
  };
  const disclosed: string[] = [];
  for (const { entry, placement, nameNormalized } of placed) {
    const existingId = existing.get(entry.key.protectorHex);
    if (existingId !== undefined) {
      const password = await ctx.secrets.getText(db, passwordRef(owner, existingId));
      outcomes.push(
        password === entry.key.recoveryPassword ? 'already_stored' : 'different_password',
      );
      continue;
    }
    outcomes.push('added');
    const madeAt = entry.createdAt ?? at;
    let device = devices.get(nameNormalized);
    if (!device) {
      device = {
        id: newId(),
        name: placement.deviceName,
        nameNormalized,
        stored: false,
        renamed: false,
        seenAt: madeAt,
        volumes: [],
      };
      devices.set(nameNormalized, device);
    } else {
      if (device.name !== placement.deviceName) {
        device.name = placement.deviceName;
        device.renamed = device.stored;
      }
      device.seenAt = later(device.seenAt, madeAt);
    }
    let volume = findVolume(device, placement.volume);
    if (!volume) {
      volume = {
        id: newId(),
        ...placement.volume,
        stored: false,
        changed: false,
        newest: undefined,
      };
      device.volumes.push(volume);
    } else if (volume.label !== placement.volume.label || volume.type !== placement.volume.type) {
      volume.label = placement.volume.label;
      volume.type = placement.volume.type;
      volume.changed = volume.stored;
    }
    if (volume.stored && (volume.newest === undefined || madeAt >= volume.newest.createdAt)) {
      volume.newest = { id: entry.id, createdAt: madeAt };
    }
    rows.keys.push({
      ...newKeyRow(
        {
          id: entry.id,
          protectorHex: entry.key.protectorHex,
          volumeId: volume.id,
          source: entry.key.source,
          createdAt: madeAt,
          proven: entry.key.proven,
        },
        at,
      ),
      ...ownedBy,
    });
    rows.passwords.push(entry.password);
    rows.backups.push(entry.backup);
    if (entry.disclosed) disclosed.push(entry.id);
  }

  for (const device of devices.values()) {
    if (!device.stored) {
      rows.devices.push({
        id: device.id,
        ...ownedBy,
        name: device.name,
        name_normalized: device.nameNormalized,
        assigned_user_id: null,
        last_seen_at: device.seenAt,
        created_at: at,
        updated_at: at,
      });
      for (const term of nameTerms(device.name)) {
        if (term !== '') rows.terms.push({ device_id: device.id, ...ownedBy, term });
      }
    } else {
      if (device.renamed) await renameDevice(db, device.id, device.name, at);
      if (device.seenAt !== '') await markDeviceSeen(db, device.id, device.seenAt);
    }
    for (const volume of device.volumes) {
      if (!volume.stored) rows.volumes.push(volumeRow(volume, device.id));
      else if (volume.changed) await updateVolume(db, volume.id, { ...volume, at });
    }
  }
  await bulk.insertNewRows(db, rows);
  // The older keys a new key replaces need no rotation any more; the batch's own keys are marked
  // below only when no newer key of their drive exists (markKey's rule).
  for (const device of devices.values()) {
    for (const volume of device.volumes) {
      if (volume.newest) await clearReplacedKeys(db, volume.id, volume.newest);
    }
  }
  if (disclosed.length > 0) await markKeys(db, owner, disclosed, at);
  return outcomes;

  function volumeRow(volume: VolumeState, deviceId: string): VolumesTable {
    return {
      id: volume.id,
      ...ownedBy,
      device_id: deviceId,
      label: volume.label,
      type: volume.type,
      volume_guid: volume.volumeGuid,
      protector_types: null,
      created_at: at,
      updated_at: at,
    };
  }
}
