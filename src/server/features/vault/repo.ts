import type { Kysely } from 'kysely';
import type { DatabaseSchema, VaultUnlocksTable } from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

/** The open vault of one session of one account, if any (expired or not). */
export function findUnlock(
  db: Db,
  sessionId: string,
  userId: string,
): Promise<VaultUnlocksTable | undefined> {
  return db
    .selectFrom('vault_unlocks')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function saveUnlock(db: Db, unlock: VaultUnlocksTable): Promise<void> {
  await db
    .insertInto('vault_unlocks')
    .values(unlock)
    .onConflict((oc) =>
      oc.column('session_id').doUpdateSet({
        user_id: unlock.user_id,
        unlocked_at: unlock.unlocked_at,
        last_activity_at: unlock.last_activity_at,
      }),
    )
    .execute();
}

/**
 * Counts vault activity, only while the vault is still open (`openSince`: activity older than the
 * idle limit means it has locked itself). False when it is no longer open.
 */
export async function touchUnlock(
  db: Db,
  sessionId: string,
  userId: string,
  { at, openSince }: { at: string; openSince: string },
): Promise<boolean> {
  const result = await db
    .updateTable('vault_unlocks')
    .set({ last_activity_at: at })
    .where('session_id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('last_activity_at', '>', openSince)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteUnlock(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('vault_unlocks').where('session_id', '=', sessionId).execute();
}
