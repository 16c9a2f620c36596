import type { Kysely } from 'kysely';
import type {
  ApiTokensTable,
  DatabaseSchema,
  DeviceAuthorizationsTable,
} from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;
export type DeviceAuthorizationRow = DeviceAuthorizationsTable;
export type ApiTokenRow = ApiTokensTable;

export async function insertDeviceAuthorization(db: Db, row: DeviceAuthorizationRow) {
  await db.insertInto('device_authorizations').values(row).execute();
}

export function findByDeviceCodeHash(db: Db, hash: string) {
  return db
    .selectFrom('device_authorizations')
    .selectAll()
    .where('device_code_hash', '=', hash)
    .executeTakeFirst();
}

/** A request still waiting for a decision, by the code the person typed. */
export function findPendingByUserCode(db: Db, userCode: string, now: Date) {
  return db
    .selectFrom('device_authorizations')
    .selectAll()
    .where('user_code', '=', userCode)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
}

export async function recordPoll(
  db: Db,
  id: string,
  at: Date,
  intervalSeconds: number,
): Promise<void> {
  await db
    .updateTable('device_authorizations')
    .set({ last_polled_at: at.toISOString(), interval_seconds: intervalSeconds })
    .where('id', '=', id)
    .execute();
}

/** Decides a pending request once; false when it was no longer pending (decided, expired). */
export async function decide(
  db: Db,
  id: string,
  decision: { status: 'approved' | 'denied'; userId: string; at: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('device_authorizations')
    .set({
      status: decision.status,
      user_id: decision.userId,
      decided_at: decision.at.toISOString(),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', decision.at.toISOString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Marks an approved request as used; only one of two racing polls gets true. */
export async function claimApproved(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable('device_authorizations')
    .set({ status: 'issued' })
    .where('id', '=', id)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Forgets requests an hour past their expiry; by then every client has stopped polling. */
export async function pruneDeviceAuthorizations(db: Db, now: Date): Promise<void> {
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  await db.deleteFrom('device_authorizations').where('expires_at', '<', hourAgo).execute();
}

export async function insertToken(db: Db, row: ApiTokenRow): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

/** A token that still works: not revoked, not expired. */
export function findLiveTokenByHash(db: Db, hash: string, now: Date) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('api_tokens')
    .select(['users.email', 'users.display_name'])
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
}

export async function touchToken(
  db: Db,
  id: string,
  at: Date,
  info: { ipAddress: string; userAgent: string | null },
): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({
      last_used_at: at.toISOString(),
      last_ip_address: info.ipAddress,
      user_agent: info.userAgent,
    })
    .where('id', '=', id)
    .execute();
}

export function liveTokensOfUser(db: Db, userId: string, now: Date) {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .orderBy('created_at', 'desc')
    .execute();
}

/** Revokes one live token of this user; false when there is none by that id. */
export async function revokeToken(db: Db, userId: string, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at.toISOString() })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
