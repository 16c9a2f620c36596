import type { Kysely } from 'kysely';
import { newId } from '../../../db/ids.js';
import type { DatabaseSchema, PasskeysTable, WebauthnPurpose } from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

/* Sign-in challenges (between the password and the second factor) and recovery codes: the
 * account tables themselves (users, browsers, sessions) are in src/server/accounts/. */

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
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<', now.toISOString()).execute();
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

// Passkeys -----------------------------------------------------------------------------------------

export async function insertWebauthnChallenge(
  db: Db,
  challenge: {
    challenge: string;
    purpose: WebauthnPurpose;
    userId: string | null;
    now: Date;
    ttlMs: number;
  },
): Promise<void> {
  await db
    .insertInto('webauthn_challenges')
    .values({
      id: newId(),
      challenge: challenge.challenge,
      purpose: challenge.purpose,
      user_id: challenge.userId,
      created_at: challenge.now.toISOString(),
      expires_at: new Date(challenge.now.getTime() + challenge.ttlMs).toISOString(),
    })
    .execute();
}

/**
 * Takes a live challenge of this purpose (and account, when given) out of the table in one
 * statement: of any number of concurrent uses exactly one gets it.
 */
export async function takeWebauthnChallenge(
  db: Db,
  wanted: { challenge: string; purpose: WebauthnPurpose; userId: string | null; now: Date },
): Promise<{ user_id: string | null } | undefined> {
  let query = db
    .deleteFrom('webauthn_challenges')
    .where('challenge', '=', wanted.challenge)
    .where('purpose', '=', wanted.purpose)
    .where('expires_at', '>', wanted.now.toISOString());
  if (wanted.userId !== null) query = query.where('user_id', '=', wanted.userId);
  return query.returning(['user_id']).executeTakeFirst();
}

export async function insertPasskey(db: Db, passkey: PasskeysTable): Promise<void> {
  await db.insertInto('passkeys').values(passkey).execute();
}

export function listPasskeys(db: Db, userId: string): Promise<PasskeysTable[]> {
  return db
    .selectFrom('passkeys')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export function findPasskeyByCredentialId(
  db: Db,
  credentialId: string,
): Promise<PasskeysTable | undefined> {
  return db
    .selectFrom('passkeys')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
}

export async function countPasskeys(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function recordPasskeyUse(
  db: Db,
  passkeyId: string,
  use: { signCount: number; at: string },
): Promise<void> {
  await db
    .updateTable('passkeys')
    .set({ sign_count: use.signCount, last_used_at: use.at })
    .where('id', '=', passkeyId)
    .execute();
}

export async function renamePasskey(
  db: Db,
  userId: string,
  passkeyId: string,
  name: string,
): Promise<boolean> {
  const result = await db
    .updateTable('passkeys')
    .set({ name })
    .where('id', '=', passkeyId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deletePasskey(db: Db, userId: string, passkeyId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('passkeys')
    .where('id', '=', passkeyId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
