import type { FastifyRequest } from 'fastify';
import { requestInfo } from '../../request-info.js';
import { ForbiddenError, UnauthenticatedError } from '../../errors.js';
import { membershipsOfUser } from '../../accounts/users-repo.js';
import { keysScope } from './schema.js';
import { authenticateToken, type TokenHolder } from './service.js';

/**
 * What a token from `keyhold login` may do: the key operations, nothing else. Signing in,
 * passwords, sessions, tokens, organisations, the vault, export and deleting stay with a person
 * signed in in a browser.
 */
const keyOperations = new Set([
  'GET /api/v1/keys',
  'POST /api/v1/keys',
  'POST /api/v1/keys/import',
  'GET /api/v1/keys/:id',
  'POST /api/v1/keys/:id/reveal',
  'GET /api/v1/keys/:id/recovery-file',
  'GET /api/v1/keys/:id/sheet.pdf',
  'GET /api/v1/keys/:id/backups',
  'POST /api/v1/keys/:id/backups',
]);

const holders = new WeakMap<FastifyRequest, TokenHolder>();

/** The bearer token of `Authorization: Bearer <token>`, if the request has one. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header);
  if (!match?.[1]) {
    throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
  }
  return match[1];
}

async function holderOf(request: FastifyRequest): Promise<TokenHolder> {
  const bearer = bearerOf(request);
  if (bearer === undefined) throw new UnauthenticatedError('Send the token from keyhold login.');
  const holder = await authenticateToken(request.server.keyhold, bearer, requestInfo(request));
  if (!holder) {
    throw new UnauthenticatedError(
      'This token is not valid (revoked, expired or unknown). Run keyhold login again.',
    );
  }
  holders.set(request, holder);
  return holder;
}

/**
 * Called by `requireAccount` for requests that carry a bearer token: the token must be live and
 * the route a key operation. The caller it sets has no session or browser (their ids are empty),
 * so nothing that belongs to a browser session, such as an unlocked vault, applies to it.
 */
export async function requireKeyToken(request: FastifyRequest): Promise<void> {
  const holder = await holderOf(request);
  const route = `${request.method} ${request.routeOptions.url ?? ''}`;
  if (holder.token.scope !== keysScope || !keyOperations.has(route)) {
    throw new ForbiddenError(
      'A token from keyhold login only works for key operations. Sign in in the browser to do this.',
    );
  }
  const memberships = await membershipsOfUser(request.server.keyhold.db, holder.account.id);
  request.caller = {
    ...requestInfo(request),
    accountId: holder.account.id,
    sessionId: '',
    browserId: '',
    memberships: new Map(memberships.map((m) => [m.organisation_id, m.role])),
  };
}

/** preHandler for the routes about the token itself (whoami, logout). */
export async function requireTokenHolder(request: FastifyRequest): Promise<void> {
  await holderOf(request);
}

export function tokenHolderOf(request: FastifyRequest): TokenHolder {
  const holder = holders.get(request);
  if (!holder) throw new UnauthenticatedError();
  return holder;
}
