import type { FastifyRequest } from 'fastify';
import { BrowserSessionRequiredError, type TokenCaller } from '../../caller.js';
import { requestInfo } from '../../request-info.js';
import { UnauthenticatedError } from '../../errors.js';
import { membershipsOfUser } from '../../accounts/users-repo.js';
import { authenticateToken, type TokenHolder } from './service.js';
import { refusals } from '../../messages.js';

const holders = new WeakMap<FastifyRequest, TokenHolder>();

/** The bearer token of `Authorization: Bearer <token>`, if the request has one. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header);
  if (!match?.[1]) {
    throw new UnauthenticatedError({
      en: 'The Authorization header must be "Bearer <token>".',
      nb: 'Authorization-headeren må være "Bearer <token>".',
    });
  }
  return match[1];
}

async function holderOf(request: FastifyRequest): Promise<TokenHolder> {
  const bearer = bearerOf(request);
  if (bearer === undefined) throw new UnauthenticatedError(refusals.sendLoginToken);
  const holder = await authenticateToken(request.server.keyhold, bearer, requestInfo(request));
  if (!holder) {
    throw new UnauthenticatedError({
      en: 'This token is not valid (revoked, expired or unknown). Run keyhold login again.',
      nb: 'Dette tokenet er ikke gyldig (tilbakekalt, utløpt eller ukjent). Kjør keyhold login på nytt.',
    });
  }
  holders.set(request, holder);
  return holder;
}

/**
 * The caller behind the request's bearer token: the token must be live and, when the route names
 * a scope, have been granted it. The caller has no session or browser, so nothing that belongs
 * to a browser session (an open vault, the browser's other accounts) can apply to it.
 */
export async function tokenCallerFor(
  request: FastifyRequest,
  scope: string | undefined,
): Promise<TokenCaller> {
  const holder = await holderOf(request);
  const scopes = holder.token.scope.split(' ');
  if (scope !== undefined && !scopes.includes(scope)) throw new BrowserSessionRequiredError();
  const memberships = await membershipsOfUser(request.server.keyhold.db, holder.account.id);
  return {
    kind: 'token',
    ...requestInfo(request),
    accountId: holder.account.id,
    tokenId: holder.token.id,
    scopes,
    memberships: new Map(memberships.map((m) => [m.organisation_id, m.role])),
  };
}

/**
 * A token sent to a route for browsers only: a live one is told what tokens are for, one that is
 * not live is told to sign in again, as on the routes a token may call.
 */
export async function refuseToken(request: FastifyRequest): Promise<never> {
  await holderOf(request);
  throw new BrowserSessionRequiredError();
}

/** The token and its account, for keyhold whoami; set by the access check of a token route. */
export function tokenHolderOf(request: FastifyRequest): TokenHolder {
  const holder = holders.get(request);
  if (!holder) throw new UnauthenticatedError();
  return holder;
}
