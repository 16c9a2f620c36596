import type { Kysely } from 'kysely';
import type {
  DatabaseSchema,
  EnrolledDevicesTable,
  EnrollmentTokensTable,
} from '../../../db/schema.js';

/**
 * Queries for enrollment tokens, enrolled devices' credentials and their replay guards, ended
 * enrollments, and organisations' escrow public keys. Every query on an organisation's rows takes the
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

export type EnrolledDeviceRow = Omit<
  EnrolledDevicesTable,
  'last_sequence' | 'last_challenge_ms'
> & {
  last_sequence: number;
};

/** Every column a caller reads (the replay guard is only ever compared in SQL). */
const enrolledColumns = [
  'id',
  'organisation_id',
  'device_id',
  'enrollment_token_id',
  'public_key',
  'hostname',
  'os',
  'hardware_id',
  'status',
  'last_sequence',
  'last_seen_at',
  'created_at',
  'retired_at',
] as const;

export function activeByHardware(
  db: Db,
  organisationId: string,
  hardwareId: string,
): Promise<EnrolledDeviceRow[]> {
  return db
    .selectFrom('enrolled_devices')
    .select(enrolledColumns)
    .where('organisation_id', '=', organisationId)
    .where('hardware_id', '=', hardwareId)
    .where('status', '=', 'active')
    .execute();
}

export async function insertEnrolledDevice(
  db: Db,
  row: Omit<
    EnrolledDevicesTable,
    'last_sequence' | 'last_challenge_ms' | 'last_seen_at' | 'retired_at'
  >,
): Promise<void> {
  await db
    .insertInto('enrolled_devices')
    .values({
      ...row,
      last_sequence: 0,
      last_challenge_ms: 0,
      last_seen_at: null,
      retired_at: null,
    })
    .execute();
}

/**
 * Ends a credential (retired by an admin, or replaced by a new enrollment of the computer); the
 * ended enrollments list makes every server process refuse its access tokens from now on.
 */
export async function endEnrollment(
  db: Db,
  id: string,
  status: 'retired' | 'replaced',
  at: string,
): Promise<void> {
  const ended = await db
    .updateTable('enrolled_devices')
    .set({ status, retired_at: at })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (ended.numUpdatedRows === 0n) return;
  await db
    .insertInto('ended_enrollments')
    .values({ enrolled_device_id: id, ended_at: at })
    .execute();
}

export async function enrollmentEnded(db: Db, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('ended_enrollments')
    .select('enrolled_device_id')
    .where('enrolled_device_id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

export interface EnrolledDeviceListRow extends EnrolledDeviceRow {
  device_name: string;
}

function enrolledOf(db: Db, organisationId: string) {
  return db
    .selectFrom('enrolled_devices as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .select(enrolledColumns.map((column) => `e.${column}` as const))
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
    .select(enrolledColumns.map((column) => `e.${column}` as const))
    .select('d.name as device_name')
    .where('e.id', '=', id)
    .executeTakeFirst();
}

/** What a signed assertion is checked against: the device's public key and where it belongs. */
export function credentialOf(db: Db, id: string) {
  return db
    .selectFrom('enrolled_devices')
    .select(['id', 'organisation_id', 'device_id', 'public_key', 'status'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Accepts a challenge issued at `issuedAtMs` only when it is newer than every challenge the
 * device used before, and notes the device as seen, in one conditional update: a replayed
 * assertion (or a burst of copies of one) changes nothing and is refused, and an ended
 * enrollment accepts none.
 */
export async function acceptChallenge(
  db: Db,
  id: string,
  issuedAtMs: number,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('enrolled_devices')
    .set({ last_challenge_ms: issuedAtMs, last_seen_at: at })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where('last_challenge_ms', '<', issuedAtMs)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The device's name and the highest request sequence its escrow was accepted with. */
export async function deviceStanding(
  db: Db,
  id: string,
): Promise<{ deviceName: string; lastSequence: number } | undefined> {
  const row = await db
    .selectFrom('enrolled_devices as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .select(['e.last_sequence', 'd.name'])
    .where('e.id', '=', id)
    .executeTakeFirst();
  return row && { deviceName: row.name, lastSequence: row.last_sequence };
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
