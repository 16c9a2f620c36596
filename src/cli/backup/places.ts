import type { RemovableDrive } from '../../backup/drives.js';
import type { SearchPlace } from './local-search.js';

/** "USB drive KEYS (/media/ola/KEYS)", "folder /home/ola/keys": where something is, in words. */
export function describePlace(place: SearchPlace): string {
  if (place.kind === 'folder') return `folder ${place.path}`;
  return place.label ? `USB drive ${place.label} (${place.path})` : `USB drive ${place.path}`;
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
