import type { Database } from '../db/database.js';
import type { MembershipRole } from '../db/schema.js';
import { signedInStateTables } from '../db/signed-in-state.js';
import { browserWithSessions, type BrowserSessionRow } from './accounts/browsers-repo.js';

/** A session of an account in a browser, as the caller resolution needs it. */
export interface BrowserSession {
  session_id: string;
  user_id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  /** Organisation id -> the account's role there. */
  memberships: ReadonlyMap<string, MembershipRole>;
}

/** The browser behind a cookie: its CSRF token and its sessions, newest sign-in first. */
export interface KnownBrowser {
  id: string;
  csrfToken: string;
  /** Not revoked when read; check expiry against the clock (liveAt). */
  sessions: readonly BrowserSession[];
}

/** Everything a browser's entry is made of: a write to any of these may change it. */
const sourceTables = signedInStateTables;
/** Browsers kept; more active browsers than this only cost their query again. */
const capacity = 10_000;

/**
 * Finds browsers by cookie token, with their sessions. Every request that acts as an account
 * starts here, so the answer is kept until one of its tables changes (see Database.changeStamp:
 * SQLite's file tells, PostgreSQL announces every commit to them): a sign-out, a new session or
 * a membership change takes effect on the next request, also when another process made it.
 * While changes cannot be seen (PostgreSQL's listening connection is down), every request reads.
 */
export class BrowserDirectory {
  readonly #database: Database;
  readonly #known = new Map<string, { stamp: string; browser: KnownBrowser }>();

  constructor(database: Database) {
    this.#database = database;
  }

  async find(tokenHash: string): Promise<KnownBrowser | undefined> {
    // Taken before reading: a change made while the query runs leaves the entry already stale.
    const stamp = this.#database.changeStamp(sourceTables);
    const kept = this.#known.get(tokenHash);
    if (stamp !== undefined && kept?.stamp === stamp) return kept.browser;
    const browser = browserFromRows(await browserWithSessions(this.#database.db, tokenHash));
    // Unknown tokens are not kept: guessing them must not fill the memory.
    if (stamp !== undefined && browser) {
      this.#known.delete(tokenHash);
      if (this.#known.size >= capacity) {
        const oldest = this.#known.keys().next();
        if (!oldest.done) this.#known.delete(oldest.value);
      }
      this.#known.set(tokenHash, { stamp, browser });
    }
    return browser;
  }
}

function browserFromRows(rows: BrowserSessionRow[]): KnownBrowser | undefined {
  const [first] = rows;
  if (!first) return undefined;
  const sessions = new Map<string, BrowserSession & { memberships: Map<string, MembershipRole> }>();
  for (const row of rows) {
    if (
      row.session_id === null ||
      row.user_id === null ||
      row.created_at === null ||
      row.last_used_at === null ||
      row.expires_at === null
    ) {
      continue;
    }
    let session = sessions.get(row.session_id);
    if (!session) {
      session = {
        session_id: row.session_id,
        user_id: row.user_id,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        memberships: new Map(),
      };
      sessions.set(row.session_id, session);
    }
    if (row.organisation_id !== null && row.role !== null) {
      session.memberships.set(row.organisation_id, row.role);
    }
  }
  // Rows come newest sign-in first, and a Map keeps the order sessions were first seen in.
  return { id: first.browser_id, csrfToken: first.csrf_token, sessions: [...sessions.values()] };
}
