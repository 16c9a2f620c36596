/**
 * The PostgreSQL channel on which every write to the tables a signed-in request is resolved from
 * is announced (by triggers, see migrations/2026-12-06-signed-in-state-notifications.ts), so
 * each server process can keep those rows cached until another process changes them.
 */
export const signedInStateChannel = 'keyhold_signed_in_state';

/** The tables that make up a browser with its sessions and their accounts' memberships. */
export const signedInStateTables = [
  'browsers',
  'sessions',
  'users',
  'memberships',
  'organisations',
] as const;

/** The function the triggers run; its presence tells a process the announcements are made. */
export const signedInStateNotifier = 'keyhold_announce_signed_in_change';

/**
 * Every table whose writes are announced on the channel: the signed-in state's, and the ended
 * enrollments that enrolled devices' access tokens are checked against (announced from the
 * migration that created that table).
 */
export const announcedTables: readonly string[] = [...signedInStateTables, 'ended_enrollments'];
