import {
  forgetUserInBrowser,
  liveSessionsOfBrowser,
  liveSessionsOfUser,
  rememberedAccountsOfBrowser,
  revokeSessionsOfBrowser,
  revokeSessionsOfUser,
  sessionIdleMs,
} from '../../accounts/sessions-repo.js';
import type { KnownBrowser } from '../../browser-directory.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { Language } from '../../messages.js';
import type { RequestInfo } from '../../request-info.js';
import { revokeAllTokensOfUser } from '../device-auth/index.js';
import { describeDevice, deviceParts } from './device.js';
import { things } from '../../messages.js';

export interface BrowserAccountView {
  id: string;
  email: string;
  displayName: string;
  signedIn: boolean;
  isDefault: boolean;
}

export async function browserAccounts(
  ctx: ServerContext,
  browser: KnownBrowser | null,
): Promise<BrowserAccountView[]> {
  if (!browser) return [];
  const live = await liveSessionsOfBrowser(ctx.db, browser.id, ctx.now());
  const remembered = await rememberedAccountsOfBrowser(
    ctx.db,
    browser.id,
    live.map((session) => session.user_id),
  );
  return [
    ...live.map((session, index) => ({
      id: session.user_id,
      email: session.email,
      displayName: session.display_name,
      signedIn: true,
      isDefault: index === 0,
    })),
    ...remembered.map((row) => ({
      id: row.user_id,
      email: row.email,
      displayName: row.display_name,
      signedIn: false,
      isDefault: false,
    })),
  ];
}

export async function signout(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { everywhere?: boolean | undefined; allAccounts?: boolean | undefined },
): Promise<void> {
  const now = ctx.now();
  await ctx.database.transaction(async (trx) => {
    if (input.allAccounts) {
      const userIds = await revokeSessionsOfBrowser(trx, caller.browserId, {
        reason: 'signout',
        now,
      });
      for (const userId of userIds) {
        await ctx.audit.record(
          trx,
          { ...caller, accountId: userId },
          {
            action: 'signout',
            details: { scope: 'browser' },
          },
        );
      }
    }
    const everywhere = input.everywhere === true;
    const revoked = await revokeSessionsOfUser(trx, caller.accountId, {
      reason: everywhere ? 'signout_everywhere' : 'signout',
      now,
      ...(everywhere ? {} : { only: caller.sessionId }),
    });
    // Everywhere means every device too: a `keyhold login` token would otherwise still read keys.
    const tokensRevoked = everywhere ? await revokeAllTokensOfUser(trx, caller.accountId, now) : 0;
    if (revoked > 0 || everywhere) {
      await ctx.audit.record(trx, caller, {
        action: 'signout',
        details: {
          scope: everywhere ? 'everywhere' : 'this_browser',
          sessionsEnded: revoked,
          ...(everywhere ? { tokensRevoked } : {}),
        },
      });
    }
  });
}

/** Removes an account from the browser's picker, signing it out there first if needed. */
export async function forgetAccount(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  userId: string,
): Promise<void> {
  if (!browser) throw new NotFoundError(things.account);
  const now = ctx.now();
  await ctx.database.transaction(async (trx) => {
    const ended = await revokeSessionsOfBrowser(trx, browser.id, {
      reason: 'signout',
      now,
      userId,
    });
    if (ended.length > 0) {
      await ctx.audit.record(
        trx,
        { ...info, accountId: userId },
        {
          action: 'signout',
          details: { scope: 'this_browser' },
        },
      );
    }
    await forgetUserInBrowser(trx, browser.id, userId, now);
  });
}

/** `device` is worded in `language`; `browser` and `system` are the same facts for scripts. */
export async function listSessions(
  ctx: ServerContext,
  caller: SessionCaller,
  language: Language = 'en',
) {
  const sessions = await liveSessionsOfUser(ctx.db, caller.accountId, ctx.now());
  return sessions.map((session) => {
    const idleEnd = new Date(Date.parse(session.last_used_at) + sessionIdleMs).toISOString();
    return {
      id: session.id,
      device: describeDevice(session.user_agent, language),
      ...deviceParts(session.user_agent),
      ipAddress: session.ip_address,
      createdAt: session.created_at,
      lastUsedAt: session.last_used_at,
      expiresAt: idleEnd < session.expires_at ? idleEnd : session.expires_at,
      current: session.id === caller.sessionId,
    };
  });
}

export async function getSession(
  ctx: ServerContext,
  caller: SessionCaller,
  sessionId: string,
  language: Language = 'en',
) {
  const session = (await listSessions(ctx, caller, language)).find((s) => s.id === sessionId);
  if (!session) throw new NotFoundError(things.session);
  return session;
}

export async function revokeSession(
  ctx: ServerContext,
  caller: SessionCaller,
  sessionId: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    const revoked = await revokeSessionsOfUser(trx, caller.accountId, {
      reason: 'revoked',
      now: ctx.now(),
      only: sessionId,
    });
    if (revoked === 0) throw new NotFoundError(things.session);
    await ctx.audit.record(trx, caller, {
      action: 'session_revoked',
      details: { sessionId },
    });
  });
}

/** Ends every other browser session of the account and every device (`keyhold login`) token. */
export async function revokeOtherSessions(
  ctx: ServerContext,
  caller: SessionCaller,
): Promise<{ revoked: number; tokensRevoked: number }> {
  const now = ctx.now();
  return ctx.database.transaction(async (trx) => {
    const revoked = await revokeSessionsOfUser(trx, caller.accountId, {
      reason: 'revoked',
      now,
      except: caller.sessionId,
    });
    const tokensRevoked = await revokeAllTokensOfUser(trx, caller.accountId, now);
    await ctx.audit.record(trx, caller, {
      action: 'sessions_revoked',
      details: { sessionsEnded: revoked, tokensRevoked },
    });
    return { revoked, tokensRevoked };
  });
}
