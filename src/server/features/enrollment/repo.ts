import type { Kysely } from 'kysely';
import type {
  DatabaseSchema,
  EnrolledDevicesTable,
  EnrollmentTokensTable,
} from '../../../db/schema.js';

/**
 * Queries for enrollment tokens, enrolled devices' credentials, their challenges and access
 * tokens, and organisations' escrow public keys. Every query on an organisation's rows takes the
 * organisation id; a device's own queries take its enrolled id.
 */

type Db = Kysely<DatabaseSchema>;

export type EnrollmentTokenRow = Omit<EnrollmentTokensTable, 'uses'> & {
  uses: number;
  assignee_email: string | null;
};

function tokensOf(db: Db, organisationId: string) {
  return db
    .selectFrom('enrollment_tokens as t')
    .leftJoin('users as u', 'u.id', 't.assign_user_id')
    .selectAll('t')
    .select('u.email as assignee_email')
    .where('t.organisation_id', '=', organisationId);
}

export function listTokens(db: Db, organisationId: string): Promise<EnrollmentTokenRow[]> {
  return tokensOf(db, organisationId).orderBy('t.created_at', 'desc').orderBy('t.id').execute();
}

export function findToken(
  db: Db,
  organisationId: string,
  id: string,
): Promise<EnrollmentTokenRow | undefined> {
  return tokensOf(db, organisationId).where('t.id', '=', id).executeTakeFirst();
}

export async function insertToken(
  db: Db,
  row: Omit<EnrollmentTokensTable, 'uses' | 'revoked_at'>,
): Promise<void> {
  await db
    .insertInto('enrollment_tokens')
    .values({ ...row, uses: 0, revoked_at: null })
    .execute();
}

export async function revokeToken(
  db: Db,
  organisationId: string,
  id: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('enrollment_tokens')
    .set({ revoked_at: at })
    .where('organisation_id', '=', organisationId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Whether a token with this hash was ever issued (used up, expired and revoked ones included). */
export async function tokenExists(db: Db, tokenHash: string): Promise<boolean> {
  const row = await db
    .selectFrom('enrollment_tokens')
    .select('id')
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Takes one use of the token with this hash, in one conditional update, so a burst of
 * enrollments never takes more uses than the token allows; undefined when it is unknown,
 * revoked, expired or used up.
 */
export async function takeTokenUse(
  db: Db,
  tokenHash: string,
  at: string,
): Promise<{ id: string; organisation_id: string; assign_user_id: string | null } | undefined> {
  const taken = await db
    .updateTable('enrollment_tokens')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .returning(['id', 'organisation_id', 'assign_user_id'])
    .executeTakeFirst();
  return taken;
}

/** Gives back a use taken by an enrollment that did not go through (a duplicate to decide). */
export async function returnTokenUse(db: Db, id: string): Promise<void> {
  await db
    .updateTable('enrollment_tokens')
    .set((eb) => ({ uses: eb('uses', '-', 1) }))
    .where('id', '=', id)
    .where('uses', '>', 0)
    .execute();
}

export function organisationName(db: Db, organisationId: string) {
  return db
    .selectFrom('organisations')
    .select('name')
    .where('id', '=', organisationId)
    .executeTakeFirst();
}

export type EnrolledDeviceRow = Omit<EnrolledDevicesTable, 'last_sequence'> & {
  last_sequence: number;
};

export function activeByHardware(
  db: Db,
  organisationId: string,
  hardwareId: string,
): Promise<EnrolledDeviceRow[]> {
  return db
    .selectFrom('enrolled_devices')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('hardware_id', '=', hardwareId)
    .where('status', '=', 'active')
    .execute();
}

export async function insertEnrolledDevice(
  db: Db,
  row: Omit<EnrolledDevicesTable, 'last_sequence' | 'last_seen_at' | 'retired_at'>,
): Promise<void> {
  await db
    .insertInto('enrolled_devices')
    .values({ ...row, last_sequence: 0, last_seen_at: null, retired_at: null })
    .execute();
}

/** Ends a credential (retired by an admin, or replaced by a new enrollment of the computer). */
export async function endEnrollment(
  db: Db,
  id: string,
  status: 'retired' | 'replaced',
  at: string,
): Promise<void> {
  await db
    .updateTable('enrolled_devices')
    .set({ status, retired_at: at })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .execute();
  await db.deleteFrom('device_access_tokens').where('enrolled_device_id', '=', id).execute();
  await db.deleteFrom('device_challenges').where('enrolled_device_id', '=', id).execute();
}

export interface EnrolledDeviceListRow extends EnrolledDeviceRow {
  device_name: string;
}

function enrolledOf(db: Db, organisationId: string) {
  return db
    .selectFrom('enrolled_devices as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .selectAll('e')
    .select('d.name as device_name')
    .where('e.organisation_id', '=', organisationId);
}

export function listEnrolled(db: Db, organisationId: string): Promise<EnrolledDeviceListRow[]> {
  return enrolledOf(db, organisationId).orderBy('d.name').orderBy('e.created_at').execute();
}

export function findEnrolled(
  db: Db,
  organisationId: string,
  id: string,
): Promise<EnrolledDeviceListRow | undefined> {
  return enrolledOf(db, organisationId).where('e.id', '=', id).executeTakeFirst();
}

export function enrolledById(db: Db, id: string): Promise<EnrolledDeviceListRow | undefined> {
  return db
    .selectFrom('enrolled_devices as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .selectAll('e')
    .select('d.name as device_name')
    .where('e.id', '=', id)
    .executeTakeFirst();
}

export async function insertChallenge(
  db: Db,
  row: { challenge_hash: string; enrolled_device_id: string; expires_at: string },
): Promise<void> {
  await db.insertInto('device_challenges').values(row).execute();
}

/**
 * Uses up a challenge: true only for the one request that deletes it, so an assertion (or a
 * burst of copies of it) is evaluated at most once.
 */
export async function consumeChallenge(
  db: Db,
  challengeHash: string,
  enrolledDeviceId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('device_challenges')
    .where('challenge_hash', '=', challengeHash)
    .where('enrolled_device_id', '=', enrolledDeviceId)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

export async function insertAccessToken(
  db: Db,
  row: { token_hash: string; enrolled_device_id: string; expires_at: string },
): Promise<void> {
  await db.insertInto('device_access_tokens').values(row).execute();
}

/** The active enrolled device behind a live access token. */
export function deviceOfAccessToken(
  db: Db,
  tokenHash: string,
  at: string,
): Promise<EnrolledDeviceListRow | undefined> {
  return db
    .selectFrom('device_access_tokens as t')
    .innerJoin('enrolled_devices as e', 'e.id', 't.enrolled_device_id')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .selectAll('e')
    .select('d.name as device_name')
    .where('t.token_hash', '=', tokenHash)
    .where('t.expires_at', '>', at)
    .where('e.status', '=', 'active')
    .executeTakeFirst();
}

export async function touchDevice(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('enrolled_devices').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/**
 * Accepts a request's sequence number only when it is above every one accepted before: a
 * replayed request (same or older number) changes nothing and is refused.
 */
export async function advanceSequence(db: Db, id: string, sequence: number): Promise<boolean> {
  const result = await db
    .updateTable('enrolled_devices')
    .set({ last_sequence: sequence })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where('last_sequence', '<', sequence)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export function escrowPublicKey(db: Db, organisationId: string) {
  return db
    .selectFrom('organisation_escrow_keys')
    .select('public_key')
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

export async function insertEscrowPublicKey(
  db: Db,
  organisationId: string,
  publicKey: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('organisation_escrow_keys')
    .values({ organisation_id: organisationId, public_key: publicKey, created_at: at })
    .execute();
}

/** Challenges and access tokens past their time; run with the hourly pruning. */
export async function pruneExpired(db: Db, at: string): Promise<void> {
  await db.deleteFrom('device_challenges').where('expires_at', '<=', at).execute();
  await db.deleteFrom('device_access_tokens').where('expires_at', '<=', at).execute();
}
