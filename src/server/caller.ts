import type { FastifyRequest } from 'fastify';
import { idPattern } from '../db/ids.js';
import type { MembershipRole } from '../db/schema.js';
import { accountHeader } from './browser-cookie.js';
import { UnauthenticatedError } from './errors.js';
import { requireKeyToken } from './features/device-auth/index.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import { liveAt, sessionTouchIntervalMs, touchSession } from './accounts/sessions-repo.js';

/**
 * The caller: the account a request acts as, through which session and browser, and the
 * organisations it belongs to. Services and repos take it and scope every query to it.
 */
export interface Caller extends RequestInfo {
  accountId: string;
  sessionId: string;
  browserId: string;
  /** Organisation id -> this account's role there. */
  memberships: ReadonlyMap<string, MembershipRole>;
}

/**
 * preHandler for every route that acts as an account: picks the account named by
 * X-Keyhold-Account (or the browser's default, its newest sign-in) among the browser's live
 * sessions, and sets `request.caller`. Answers 401 when there is none.
 *
 *     app.get('/api/v1/things', { preHandler: requireAccount, schema }, (request) =>
 *       things.list(request.server.keyhold, callerOf(request)));
 */
export async function requireAccount(request: FastifyRequest): Promise<void> {
  // A token from `keyhold login` instead of a browser: key operations only.
  if (request.headers.authorization !== undefined) {
    await requireKeyToken(request);
    return;
  }
  const { db, now } = request.server.keyhold;
  if (!request.browser) throw new UnauthenticatedError();
  const at = now();
  const sessions = request.browser.sessions.filter(liveAt(at));
  const wanted = request.headers[accountHeader];
  let session;
  if (typeof wanted === 'string' && wanted !== '') {
    session = idPattern.test(wanted) ? sessions.find((s) => s.user_id === wanted) : undefined;
    if (!session) {
      throw new UnauthenticatedError(
        'That account is not signed in in this browser. Sign in to it again.',
      );
    }
  } else {
    session = sessions[0];
    if (!session) throw new UnauthenticatedError();
  }
  const info = requestInfo(request);
  if (at.getTime() - Date.parse(session.last_used_at) >= sessionTouchIntervalMs) {
    await touchSession(db, session.session_id, at, info);
  }
  request.caller = {
    ...info,
    accountId: session.user_id,
    sessionId: session.session_id,
    browserId: request.browser.id,
    memberships: session.memberships,
  };
}

/** The caller set by `requireAccount`; a route without that preHandler has none. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new UnauthenticatedError();
  return request.caller;
}
