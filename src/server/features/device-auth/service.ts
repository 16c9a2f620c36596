import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomToken, sha256Hex } from '../../../crypto/tokens.js';
import { newId } from '../../../db/ids.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { RequestInfo } from '../../request-info.js';
import type { ServerContext } from '../../context.js';
import { lockedOutUntil, type LimitPolicy } from '../../credential-limits.js';
import { NotFoundError } from '../../errors.js';
import * as repo from './repo.js';
import { deviceCodeGrantType, keysScope, knownClients } from './schema.js';
import { things } from '../../messages.js';
import type { Wording } from '../../../text/wording.js';
import { deviceAuthRefusals } from './messages.js';

/** How long a person has to approve a request (RFC 8628 suggests minutes, not hours). */
export const deviceCodeLifetimeSeconds = 600;
/** The polling interval a client starts with; slow_down adds 5 seconds each time. */
export const pollIntervalSeconds = 5;
/** Tokens end a year after they were issued, or earlier when revoked. */
export const tokenLifetimeMs = 365 * 86_400_000;
/** Last use is written at most this often, so every request does not write. */
const tokenTouchIntervalMs = 60_000;

/**
 * User codes: 8 letters from 20 consonants (no vowels, so no words; no look-alikes), about 34
 * bits. Guessing is further limited per account (codeGuesses) and codes live 10 minutes.
 */
const userCodeAlphabet = 'BCDFGHJKLMNPQRSTVWXZ';
const userCodeLength = 8;

const limits = {
  /** New device requests from one IP address. */
  authorize: { free: 30, quietMinutes: 15 },
  /** Wrong user codes typed by one account. */
  codeGuesses: { free: 10, quietMinutes: 15 },
} satisfies Record<string, LimitPolicy>;

/** An RFC 6749 section 5.2 error, answered as `{"error","error_description"}`. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: Wording,
    readonly status = 400,
  ) {
    super(description.en);
    this.name = 'OAuthError';
  }
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < userCodeLength; i++) {
    code += userCodeAlphabet.charAt(randomInt(userCodeAlphabet.length));
  }
  return code;
}

/** "WDJBMJHT" -> "WDJB-MJHT": how the code is shown and typed. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person typed ("wdjb mjht", "WDJB-MJHT") as stored; undefined when it cannot be one. */
export function normalizeUserCode(typed: string): string | undefined {
  const letters = typed.toUpperCase().replace(/[\s-]/g, '');
  if (letters.length !== userCodeLength) return undefined;
  return /^[BCDFGHJKLMNPQRSTVWXZ]+$/.test(letters) ? letters : undefined;
}

export interface AuthorizeInput {
  client_id: string;
  scope?: string | undefined;
  device_name?: string | undefined;
}

/** RFC 8628 section 3.1/3.2: a device asks to be connected and gets its codes. */
export async function authorize(
  ctx: ServerContext,
  info: RequestInfo,
  input: AuthorizeInput,
  verificationUri: string,
) {
  if (!knownClients.has(input.client_id)) {
    throw new OAuthError('invalid_client', deviceAuthRefusals.unknownClient(input.client_id), 401);
  }
  const scope = input.scope ?? keysScope;
  if (scope !== keysScope) {
    throw new OAuthError('invalid_scope', deviceAuthRefusals.onlyScope(keysScope));
  }
  await ctx.limiter.count(`device-authorize-ip:${info.ipAddress}`, limits.authorize);
  const now = ctx.now();
  await repo.pruneDeviceAuthorizations(ctx.db, now);
  const deviceCode = randomToken();
  const expiresAt = new Date(now.getTime() + deviceCodeLifetimeSeconds * 1000);
  // A clash with a live code is rare (about one in 25 billion per pair); try a few times.
  for (let attempt = 0; ; attempt++) {
    const userCode = newUserCode();
    try {
      await repo.insertDeviceAuthorization(ctx.db, {
        id: newId(),
        device_code_hash: sha256Hex(deviceCode),
        user_code: userCode,
        client_id: input.client_id,
        scope,
        device_name: input.device_name ?? 'an unnamed device',
        ip_address: info.ipAddress,
        user_agent: info.userAgent,
        status: 'pending',
        user_id: null,
        interval_seconds: pollIntervalSeconds,
        last_polled_at: null,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
        decided_at: null,
      });
      const shown = formatUserCode(userCode);
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?code=${shown}`,
        expires_in: deviceCodeLifetimeSeconds,
        interval: pollIntervalSeconds,
      };
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

export interface TokenInput {
  grant_type?: string | undefined;
  device_code?: string | undefined;
  client_id?: string | undefined;
}

/**
 * RFC 8628 section 3.4/3.5: the device polls; once the person approved, the first poll gets the
 * token (and only that one). Polling faster than the interval earns slow_down and 5 more seconds.
 */
export async function pollForToken(ctx: ServerContext, info: RequestInfo, input: TokenInput) {
  if (input.grant_type !== deviceCodeGrantType) {
    throw new OAuthError(
      input.grant_type ? 'unsupported_grant_type' : 'invalid_request',
      deviceAuthRefusals.grantTypeRequired(deviceCodeGrantType),
    );
  }
  if (!input.device_code || !input.client_id) {
    throw new OAuthError('invalid_request', deviceAuthRefusals.codeAndClientRequired);
  }
  const row = await repo.findByDeviceCodeHash(ctx.db, sha256Hex(input.device_code));
  if (row?.client_id !== input.client_id) {
    throw new OAuthError('invalid_grant', deviceAuthRefusals.unknownCode);
  }
  const now = ctx.now();
  if (row.expires_at <= now.toISOString() && row.status !== 'issued') {
    throw new OAuthError('expired_token', deviceAuthRefusals.codeExpired);
  }
  const sincePoll = row.last_polled_at ? now.getTime() - Date.parse(row.last_polled_at) : Infinity;
  if (sincePoll < row.interval_seconds * 1000) {
    await repo.recordPoll(ctx.db, row.id, now, row.interval_seconds + 5);
    throw new OAuthError('slow_down', deviceAuthRefusals.slowDown(row.interval_seconds + 5));
  }
  await repo.recordPoll(ctx.db, row.id, now, row.interval_seconds);
  switch (row.status) {
    case 'pending':
      throw new OAuthError('authorization_pending', deviceAuthRefusals.pending);
    case 'denied':
      throw new OAuthError('access_denied', deviceAuthRefusals.denied);
    case 'issued':
      throw new OAuthError('invalid_grant', deviceAuthRefusals.codeUsed);
    case 'approved':
      break;
  }
  const userId = row.user_id;
  if (userId === null) throw new OAuthError('invalid_grant', deviceAuthRefusals.unknownCode);
  const token = `kh_${randomToken()}`;
  const expiresAt = new Date(now.getTime() + tokenLifetimeMs);
  const issued = await ctx.database.transaction(async (trx) => {
    if (!(await repo.claimApproved(trx, row.id))) return false;
    const tokenId = newId();
    await repo.insertToken(trx, {
      id: tokenId,
      user_id: userId,
      token_hash: sha256Hex(token),
      name: row.device_name,
      scope: row.scope,
      client_id: row.client_id,
      created_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
      last_used_at: null,
      last_ip_address: info.ipAddress,
      user_agent: info.userAgent,
      revoked_at: null,
    });
    await ctx.audit.record(
      trx,
      { ...info, accountId: userId },
      {
        action: 'api_token_issued',
        details: { tokenId, deviceName: row.device_name, scope: row.scope },
      },
    );
    return true;
  });
  if (!issued) throw new OAuthError('invalid_grant', deviceAuthRefusals.codeUsed);
  return {
    access_token: token,
    token_type: 'Bearer' as const,
    expires_in: Math.floor(tokenLifetimeMs / 1000),
    scope: row.scope,
  };
}

/**
 * The pending request behind a typed code. Each look-up reserves a guess on the account first (so
 * a burst gets no more look-ups than the allowance); a code that exists gives it back.
 */
async function pendingRequest(ctx: ServerContext, caller: Caller, typed: string) {
  const [reservation] = await ctx.limiter.reserve([
    { key: `device-code-guesses:${caller.accountId}`, policy: limits.codeGuesses },
  ]);
  const userCode = normalizeUserCode(typed);
  const row = userCode ? await repo.findPendingByUserCode(ctx.db, userCode, ctx.now()) : undefined;
  if (!row) {
    if (reservation?.lockedUntil) {
      throw lockedOutUntil(reservation.lockedUntil, ctx.now());
    }
    throw new NotFoundError(things.userCode);
  }
  if (reservation) await ctx.limiter.release(reservation);
  return row;
}

function describeRequest(row: repo.DeviceAuthorizationRow) {
  return {
    userCode: formatUserCode(row.user_code),
    clientName: knownClients.get(row.client_id) ?? row.client_id,
    deviceName: row.device_name,
    scope: row.scope,
    ipAddress: row.ip_address,
    requestedAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** What the person is about to approve: shown on the "Connect a device" page first. */
export async function lookUp(ctx: ServerContext, caller: Caller, typed: string) {
  return describeRequest(await pendingRequest(ctx, caller, typed));
}

export async function decideRequest(
  ctx: ServerContext,
  caller: Caller,
  input: { userCode: string; approve: boolean },
): Promise<'approved' | 'denied'> {
  const row = await pendingRequest(ctx, caller, input.userCode);
  const status = input.approve ? 'approved' : 'denied';
  await ctx.database.transaction(async (trx) => {
    const decided = await repo.decide(trx, row.id, {
      status,
      userId: caller.accountId,
      at: ctx.now(),
    });
    if (!decided) throw new NotFoundError(things.userCode);
    await ctx.audit.record(trx, caller, {
      action: input.approve ? 'device_approved' : 'device_denied',
      details: {
        deviceName: row.device_name,
        client: row.client_id,
        deviceIpAddress: row.ip_address,
      },
    });
  });
  return status;
}

function describeToken(row: repo.ApiTokenRow) {
  return {
    id: row.id,
    name: row.name,
    client: knownClients.get(row.client_id) ?? row.client_id,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    lastIpAddress: row.last_ip_address,
    expiresAt: row.expires_at,
  };
}

export async function listTokens(ctx: ServerContext, caller: Caller) {
  const rows = await repo.liveTokensOfUser(ctx.db, caller.accountId, ctx.now());
  return rows.map(describeToken);
}

export async function revokeToken(
  ctx: ServerContext,
  actor: { accountId: string } & RequestInfo,
  tokenId: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    if (!(await repo.revokeToken(trx, actor.accountId, tokenId, ctx.now()))) {
      throw new NotFoundError(things.token);
    }
    await ctx.audit.record(trx, actor, {
      action: 'api_token_revoked',
      details: { tokenId },
    });
  });
}

/**
 * Revokes every live token of an account inside the caller's transaction (a changed password
 * must lock out devices connected with the old one); returns how many were live.
 */
export async function revokeAllTokensOfUser(
  db: Kysely<DatabaseSchema>,
  userId: string,
  at: Date,
): Promise<number> {
  const live = await repo.liveTokensOfUser(db, userId, at);
  for (const token of live) await repo.revokeToken(db, userId, token.id, at);
  return live.length;
}

export interface TokenHolder {
  token: ReturnType<typeof describeToken>;
  account: { id: string; email: string; displayName: string };
}

/** The live token behind a bearer value, or undefined; notes its use at most once a minute. */
export async function authenticateToken(
  ctx: ServerContext,
  bearer: string,
  info: RequestInfo,
): Promise<TokenHolder | undefined> {
  const now = ctx.now();
  const row = await repo.findLiveTokenByHash(ctx.db, sha256Hex(bearer), now);
  if (!row) return undefined;
  const lastUse = row.last_used_at ? Date.parse(row.last_used_at) : 0;
  if (now.getTime() - lastUse >= tokenTouchIntervalMs) {
    await repo.touchToken(ctx.db, row.id, now, info);
  }
  return {
    token: describeToken(row),
    account: { id: row.user_id, email: row.email, displayName: row.display_name },
  };
}
