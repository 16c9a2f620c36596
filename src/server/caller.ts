import type { FastifyRequest } from 'fastify';
import { idPattern } from '../db/ids.js';
import type { MembershipRole } from '../db/schema.js';
import { accountHeader } from './browser-cookie.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import { liveAt, sessionTouchIntervalMs, touchSession } from './accounts/sessions-repo.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import { refusals } from './messages.js';

/** What every caller has: the account a request acts as and the organisations it belongs to. */
interface AccountCaller extends RequestInfo {
  accountId: string;
  /** Organisation id -> this account's role there. */
  memberships: ReadonlyMap<string, MembershipRole>;
}

/**
 * A person signed in in a browser: the account acts through one of the browser's sessions. Only
 * this caller reaches what belongs to a session (the vault, the browser's other accounts, proofs
 * of presence, sessions and signing out).
 */
export interface SessionCaller extends AccountCaller {
  kind: 'session';
  sessionId: string;
  browserId: string;
}

/** A device connected with `keyhold login`: the account acts through a bearer token. */
export interface TokenCaller extends AccountCaller {
  kind: 'token';
  tokenId: string;
  /** What the token was granted (OAuth scopes). */
  scopes: readonly string[];
}

/** The caller: services and repos take it and scope every query to its account. */
export type Caller = SessionCaller | TokenCaller;

/** What a token hears where only a person signed in in a browser may act. */
export class BrowserSessionRequiredError extends ForbiddenError {
  constructor() {
    super({
      en: 'A token from keyhold login only works for key operations. Sign in in the browser to do this.',
      nb: 'Et token fra keyhold login virker bare for nøkkeloperasjoner. Logg inn i nettleseren for å gjøre dette.',
    });
  }
}

/**
 * The session a browser request acts through: the account named by X-Keyhold-Account (or the
 * browser's default, its newest sign-in) among the browser's live sessions. Answers 401 when
 * there is none.
 */
export async function sessionCallerFor(request: FastifyRequest): Promise<SessionCaller> {
  const { db, now } = request.server.keyhold;
  if (!request.browser) throw new UnauthenticatedError();
  const at = now();
  const sessions = request.browser.sessions.filter(liveAt(at));
  const wanted = request.headers[accountHeader];
  let session;
  if (typeof wanted === 'string' && wanted !== '') {
    session = idPattern.test(wanted) ? sessions.find((s) => s.user_id === wanted) : undefined;
    if (!session) {
      throw new UnauthenticatedError({
        en: 'That account is not signed in in this browser. Sign in to it again.',
        nb: 'Den kontoen er ikke logget inn i denne nettleseren. Logg inn på den igjen.',
      });
    }
  } else {
    session = sessions[0];
    if (!session) throw new UnauthenticatedError();
  }
  const info = requestInfo(request);
  if (at.getTime() - Date.parse(session.last_used_at) >= sessionTouchIntervalMs) {
    await touchSession(db, session.session_id, at, info);
  }
  return {
    kind: 'session',
    ...info,
    accountId: session.user_id,
    sessionId: session.session_id,
    browserId: request.browser.id,
    memberships: session.memberships,
  };
}

/**
 * The caller that the route's access check (route-access.ts) set; a public route has none.
 *
 *     app.get('/api/v1/things', { config: { access: 'browser' }, schema }, (request) =>
 *       things.list(request.server.keyhold, callerOf(request)));
 */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new UnauthenticatedError();
  return request.caller;
}

/** The caller of a route that needs a browser session; a token is refused. */
export function sessionCallerOf(request: FastifyRequest): SessionCaller {
  const caller = callerOf(request);
  if (caller.kind !== 'session') throw new BrowserSessionRequiredError();
  return caller;
}

/** The caller of a route about the token itself (keyhold whoami, keyhold logout). */
export function tokenCallerOf(request: FastifyRequest): TokenCaller {
  const caller = callerOf(request);
  if (caller.kind !== 'token') throw new UnauthenticatedError(refusals.sendLoginToken);
  return caller;
}
