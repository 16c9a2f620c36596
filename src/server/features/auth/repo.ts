import type { Kysely } from 'kysely';
import { newId } from '../../../db/ids.js';
import { preparedQuery } from '../../../db/prepared-query.js';
import type { DatabaseSchema, MembershipRole, UsersTable } from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

/** A session stops working after this long without use, even before its absolute end. */
export const sessionIdleMs = 14 * 86_400_000;
export const sessionLifetimeMs = 30 * 86_400_000;
/** Last use is written at most this often, so reading pages does not write on every request. */
export const sessionTouchIntervalMs = 60_000;

export type UserRow = UsersTable;

export function findUserByEmail(db: Db, emailNormalized: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', emailNormalized)
    .executeTakeFirst();
}

export function findUserById(db: Db, userId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
}

export async function insertUser(db: Db, user: UserRow): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function updateUser(
  db: Db,
  userId: string,
  changes: Partial<Omit<UserRow, 'id' | 'email' | 'email_normalized' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', userId).execute();
}

/**
 * Stores the same password's hash at a new cost, unless the password changed meanwhile (the old
 * hash no longer there), so an upgrade never undoes a change.
 */
export async function upgradePasswordHash(
  db: Db,
  userId: string,
  hashes: { from: string; to: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: hashes.to })
    .where('id', '=', userId)
    .where('password_hash', '=', hashes.from)
    .execute();
}

/** Accepts a TOTP step only if it is newer than every step used before (a code works once). */
export async function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// The signed-in page and every request with a `keyhold login` token run this: prepared once.
const membershipsQuery = preparedQuery((db, values: { userId: string }) =>
  db
    .selectFrom('memberships')
    .innerJoin('organisations', 'organisations.id', 'memberships.organisation_id')
    .select(['memberships.organisation_id', 'organisations.name as organisation_name', 'role'])
    .where('memberships.user_id', '=', values.userId)
    .orderBy('organisations.name'),
);

export function membershipsOfUser(
  db: Db,
  userId: string,
): Promise<{ organisation_id: string; organisation_name: string; role: MembershipRole }[]> {
  return membershipsQuery(db, { userId }, undefined);
}

// Browsers ---------------------------------------------------------------------------------------

export async function insertBrowser(
  db: Db,
  browser: { tokenHash: string; csrfToken: string; userAgent: string | null; at: string },
): Promise<string> {
  const id = newId();
  await db
    .insertInto('browsers')
    .values({
      id,
      token_hash: browser.tokenHash,
      csrf_token: browser.csrfToken,
      user_agent: browser.userAgent,
      created_at: browser.at,
      last_seen_at: browser.at,
    })
    .execute();
  return id;
}

export async function replaceBrowserToken(
  db: Db,
  browserId: string,
  tokenHash: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('browsers')
    .set({ token_hash: tokenHash, last_seen_at: at })
    .where('id', '=', browserId)
    .execute();
}

// Sessions ---------------------------------------------------------------------------------------

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

export interface BrowserSessionRow {
  browser_id: string;
  csrf_token: string;
  /** Null (and so is every column after it) for a browser without sessions. */
  session_id: string | null;
  user_id: string | null;
  created_at: string | null;
  last_used_at: string | null;
  expires_at: string | null;
  /** One row per membership of the session's account; null for an account without any. */
  organisation_id: string | null;
  role: MembershipRole | null;
}

const browserSessionsQuery = preparedQuery((db, values: { tokenHash: string }) =>
  db
    .selectFrom('browsers as b')
    .leftJoin('sessions as s', (join) =>
      join.onRef('s.browser_id', '=', 'b.id').on('s.revoked_at', 'is', null),
    )
    .leftJoin('memberships as m', 'm.user_id', 's.user_id')
    .select([
      'b.id as browser_id',
      'b.csrf_token',
      's.id as session_id',
      's.user_id',
      's.created_at',
      's.last_used_at',
      's.expires_at',
      'm.organisation_id',
      'm.role',
    ])
    .where('b.token_hash', '=', values.tokenHash)
    .orderBy('s.created_at', 'desc'),
);

/**
 * The browser behind a cookie token with its sessions that are not revoked (expired ones too:
 * the caller checks them against its clock) and their accounts' memberships: what a signed-in
 * request needs, in one query. No rows: no such browser.
 */
export function browserWithSessions(db: Db, tokenHash: string): Promise<BrowserSessionRow[]> {
  return browserSessionsQuery(db, { tokenHash }, undefined);
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

// Sign-in challenges (between the password and the second factor) -----------------------------

export async function insertChallenge(
  db: Db,
  challenge: { tokenHash: string; userId: string; now: Date; ttlMs: number },
): Promise<string> {
  const expiresAt = new Date(challenge.now.getTime() + challenge.ttlMs).toISOString();
  await db
    .insertInto('signin_challenges')
    .values({
      id: newId(),
      token_hash: challenge.tokenHash,
      user_id: challenge.userId,
      created_at: challenge.now.toISOString(),
      expires_at: expiresAt,
      failed_attempts: 0,
    })
    .execute();
  return expiresAt;
}

export function findChallenge(db: Db, tokenHash: string, now: Date) {
  return db
    .selectFrom('signin_challenges')
    .select(['id', 'user_id', 'failed_attempts'])
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
}

/**
 * Uses up one of a live challenge's attempts, in one statement so that concurrent tries cannot
 * all see the same count; false when none is left (or it expired).
 */
export async function claimChallengeAttempt(
  db: Db,
  tokenHash: string,
  allowed: number,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('signin_challenges')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now.toISOString())
    .where('failed_attempts', '<', allowed)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteChallenge(db: Db, challengeId: string): Promise<void> {
  await db.deleteFrom('signin_challenges').where('id', '=', challengeId).execute();
}

export async function pruneChallenges(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('signin_challenges').where('expires_at', '<', now.toISOString()).execute();
}

// Recovery codes ---------------------------------------------------------------------------------

export async function replaceRecoveryCodes(
  db: Db,
  userId: string,
  codeHashes: string[],
  now: Date,
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (codeHashes.length === 0) return;
  await db
    .insertInto('recovery_codes')
    .values(
      codeHashes.map((code_hash) => ({
        id: newId(),
        user_id: userId,
        code_hash,
        created_at: now.toISOString(),
        used_at: null,
      })),
    )
    .execute();
}

/** Marks an unused code used; false when there is no such unused code (or it was just used). */
export async function useRecoveryCode(
  db: Db,
  userId: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
