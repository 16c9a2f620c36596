import type { Kysely } from 'kysely';
import { newId } from '../../db/ids.js';
import { preparedQuery } from '../../db/prepared-query.js';
import type { DatabaseSchema, MembershipRole } from '../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

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
