import type { RemovableDrive } from '../../backup/drives.js';
import type { Wording } from '../../text/wording.js';
import type { SearchPlace } from './local-search.js';
import { backupMessages } from './messages.js';

/** "USB drive KEYS (/media/ola/KEYS)", "folder /home/ola/keys": where something is, in words. */
export function describePlace(place: SearchPlace): Wording {
  return place.kind === 'folder'
    ? backupMessages.placeFolder(place.path)
    : backupMessages.placeDrive(place.path, place.label);
}

/** The mounted removable drives as places to search; unmounted ones hold nothing readable. */
export function drivePlaces(drives: readonly RemovableDrive[]): SearchPlace[] {
  const seen = new Set<string>();
  return drives.flatMap((drive) => {
    if (drive.mountPoint === null || seen.has(drive.mountPoint)) return [];
    seen.add(drive.mountPoint);
    return [{ kind: 'drive' as const, path: drive.mountPoint, label: drive.label }];
  });
}
