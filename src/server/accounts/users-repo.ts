import type { Kysely } from 'kysely';
import { preparedQuery } from '../../db/prepared-query.js';
import type { DatabaseSchema, MembershipRole, UsersTable } from '../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

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
