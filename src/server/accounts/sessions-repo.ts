import type { Kysely } from 'kysely';
import { newId } from '../../db/ids.js';
import { preparedQuery } from '../../db/prepared-query.js';
import type { DatabaseSchema } from '../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

/** A session stops working after this long without use, even before its absolute end. */
export const sessionIdleMs = 14 * 86_400_000;
export const sessionLifetimeMs = 30 * 86_400_000;
/** Last use is written at most this often, so reading pages does not write on every request. */
export const sessionTouchIntervalMs = 60_000;

export interface BrowserAccountRow {
  session_id: string;
  user_id: string;
  email: string;
  display_name: string;
  created_at: string;
  last_used_at: string;
}

function liveSince(now: Date): { at: string; idleSince: string } {
  return {
    at: now.toISOString(),
    idleSince: new Date(now.getTime() - sessionIdleMs).toISOString(),
  };
}

/**
 * The same test as liveSessionsOfBrowser's, for sessions read earlier (not revoked then): made
 * once for `now` and applied to each of a browser's sessions.
 */
export function liveAt(
  now: Date,
): (session: { expires_at: string; last_used_at: string }) => boolean {
  const { at, idleSince } = liveSince(now);
  return (session) => session.expires_at > at && session.last_used_at > idleSince;
}

/** The browser's signed-in accounts, newest sign-in first. */
export function liveSessionsOfBrowser(
  db: Db,
  browserId: string,
  now: Date,
): Promise<BrowserAccountRow[]> {
  return liveSessionsQuery(db, { browserId, ...liveSince(now) }, undefined);
}

const liveSessionsQuery = preparedQuery(
  (db, values: { browserId: string; at: string; idleSince: string }) =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as session_id',
        'sessions.user_id',
        'users.email',
        'users.display_name',
        'sessions.created_at',
        'sessions.last_used_at',
      ])
      .where('sessions.browser_id', '=', values.browserId)
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', values.at)
      .where('sessions.last_used_at', '>', values.idleSince)
      .orderBy('sessions.created_at', 'desc'),
);

/**
 * Accounts that were signed in to this browser and no longer are, for the picker's "signed out"
 * entries; newest first, one row per account.
 */
export async function rememberedAccountsOfBrowser(
  db: Db,
  browserId: string,
  exceptUserIds: string[],
): Promise<{ user_id: string; email: string; display_name: string }[]> {
  let query = db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.user_id', 'users.email', 'users.display_name'])
    .select((eb) => eb.fn.max('sessions.created_at').as('latest'))
    .where('sessions.browser_id', '=', browserId)
    .where('sessions.forgotten_at', 'is', null)
    .groupBy(['sessions.user_id', 'users.email', 'users.display_name'])
    .orderBy('latest', 'desc');
  if (exceptUserIds.length > 0) query = query.where('sessions.user_id', 'not in', exceptUserIds);
  const rows = await query.execute();
  return rows.map(({ user_id, email, display_name }) => ({ user_id, email, display_name }));
}

/** Whether this browser has ever held a session for the account (and was not told to forget). */
export async function browserKnowsUser(db: Db, browserId: string, userId: string) {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('browser_id', '=', browserId)
    .where('user_id', '=', userId)
    .where('forgotten_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertSession(
  db: Db,
  session: {
    userId: string;
    browserId: string;
    ipAddress: string | null;
    userAgent: string | null;
    now: Date;
  },
): Promise<string> {
  const id = newId();
  const at = session.now.toISOString();
  await db
    .insertInto('sessions')
    .values({
      id,
      user_id: session.userId,
      browser_id: session.browserId,
      created_at: at,
      last_used_at: at,
      expires_at: new Date(session.now.getTime() + sessionLifetimeMs).toISOString(),
      revoked_at: null,
      revoke_reason: null,
      forgotten_at: null,
      ip_address: session.ipAddress,
      user_agent: session.userAgent,
    })
    .execute();
  return id;
}

export async function touchSession(
  db: Db,
  sessionId: string,
  now: Date,
  request: { ipAddress: string | null; userAgent: string | null },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      last_used_at: now.toISOString(),
      ip_address: request.ipAddress,
      user_agent: request.userAgent,
    })
    .where('id', '=', sessionId)
    .execute();
}

export function liveSessionsOfUser(db: Db, userId: string, now: Date) {
  const { at, idleSince } = liveSince(now);
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_used_at', 'expires_at', 'ip_address', 'user_agent'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .where('last_used_at', '>', idleSince)
    .orderBy('last_used_at', 'desc')
    .execute();
}

/** Ends live sessions of one account; `only` or `except` narrow it to or around one session. */
export async function revokeSessionsOfUser(
  db: Db,
  userId: string,
  { reason, now, only, except }: { reason: string; now: Date; only?: string; except?: string },
): Promise<number> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now.toISOString(), revoke_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString());
  if (only !== undefined) query = query.where('id', '=', only);
  if (except !== undefined) query = query.where('id', '<>', except);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeSessionsOfBrowser(
  db: Db,
  browserId: string,
  { reason, now, userId }: { reason: string; now: Date; userId?: string },
): Promise<string[]> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now.toISOString(), revoke_reason: reason })
    .where('browser_id', '=', browserId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString());
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const rows = await query.returning('user_id').execute();
  return rows.map((row) => row.user_id);
}

export async function forgetUserInBrowser(
  db: Db,
  browserId: string,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ forgotten_at: now.toISOString() })
    .where('browser_id', '=', browserId)
    .where('user_id', '=', userId)
    .execute();
}

/** When the session was signed in (a new sign-in is a new session). */
export async function sessionSignedInAt(db: Db, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select('created_at')
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row?.created_at;
}
