import type { Caller, SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import {
  DomainError,
  InvalidCredentialsError,
  UnauthenticatedError,
  ValidationError,
} from '../../errors.js';
import { findUserById } from '../../accounts/users-repo.js';
import { fieldReasons } from '../../messages.js';
import {
  checkCredential,
  checkTotpCode,
  CodeAlreadyUsedError,
  passkeyAssertionProves,
  verifyPassword,
  type RelyingParty,
} from '../auth/index.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { KeySummary } from '../keys/index.js';
import { deleteUnlock, findUnlock, saveUnlock, touchUnlock } from './repo.js';

/**
 * The personal vault: keys and uploaded key files that need a fresh proof of presence (the
 * second factor, or the password when there is none) before they are revealed or downloaded.
 * The vault is open for one session at a time and locks itself after `vaultIdleMinutes` without
 * vault activity, on request, and when the session ends (a new sign-in is a new session).
 */

export class VaultLockedError extends DomainError {
  constructor() {
    super(423, 'vault_locked', {
      en: 'This item is in your vault, which is locked. Unlock the vault and try again.',
      nb: 'Dette ligger i hvelvet ditt, som er låst. Lås opp hvelvet og prøv igjen.',
    });
  }
}

export interface VaultStatus {
  locked: boolean;
  lockExpiresAt: string | null;
}

export interface VaultItem {
  id: string;
  kind: 'key' | 'file';
  name: string;
  /** Only while the vault is open. */
  key?: KeySummary;
  file?: { fileName: string; size: number; format: string; createdAt: string };
}

function idleMs(ctx: ServerContext): number {
  return ctx.config.vaultIdleMinutes * 60_000;
}

export async function vaultStatus(ctx: ServerContext, caller: SessionCaller): Promise<VaultStatus> {
  const unlock = await findUnlock(ctx.db, caller.sessionId, caller.accountId);
  if (!unlock) return { locked: true, lockExpiresAt: null };
  const expiresAt = Date.parse(unlock.last_activity_at) + idleMs(ctx);
  if (expiresAt <= ctx.now().getTime()) return { locked: true, lockExpiresAt: null };
  return { locked: false, lockExpiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Throws VaultLockedError unless the caller's vault is open; otherwise counts this as vault
 * activity, which keeps it open for another idle period. The vault opens for a browser session,
 * so to a token it is always locked.
 */
export async function requireOpenVault(ctx: ServerContext, caller: Caller): Promise<void> {
  if (caller.kind !== 'session') throw new VaultLockedError();
  const now = ctx.now();
  const stillOpen = await touchUnlock(ctx.db, caller.sessionId, caller.accountId, {
    at: now.toISOString(),
    openSince: new Date(now.getTime() - idleMs(ctx)).toISOString(),
  });
  if (!stillOpen) throw new VaultLockedError();
}

export interface PresenceProof {
  password?: string | undefined;
  totpCode?: string | undefined;
  /** An assertion from one of the account's passkeys, signed for this server's origin. */
  passkey?: { response: AuthenticationResponseJSON; relyingParty: RelyingParty } | undefined;
}

/**
 * Asks the person to prove they are at the keyboard again: a passkey when one is offered, else
 * the authenticator code when TOTP is on, else the password. Failures count toward the same
 * lock-outs as sign-in.
 */
export async function confirmPresence(
  ctx: ServerContext,
  caller: SessionCaller,
  proof: PresenceProof,
  purpose: 'vault_unlock' | 'keys_export',
): Promise<'totp' | 'password' | 'passkey'> {
  const user = await findUserById(ctx.db, caller.accountId);
  if (!user) throw new UnauthenticatedError();
  const passkey = proof.passkey;
  if (passkey) {
    await checkCredential(
      ctx,
      { ipAddress: caller.ipAddress, normalizedEmail: user.email_normalized },
      () =>
        passkeyAssertionProves(
          ctx,
          passkey.relyingParty,
          { purpose: 'presence', userId: user.id },
          passkey.response,
        ),
      {
        clearsAccount: true,
        recordFailure: () =>
          ctx.audit.recordAlone(caller, {
            action: `${purpose}_failed`,
            details: { method: 'passkey' },
          }),
        wrong: () =>
          new InvalidCredentialsError({
            en: 'The passkey could not confirm it is you. Try again.',
            nb: 'Passnøkkelen kunne ikke bekrefte at det er deg. Prøv igjen.',
          }),
      },
    );
    return 'passkey';
  }
  const method = user.totp_enabled_at === null ? 'password' : 'totp';
  if (method === 'totp' && !proof.totpCode) {
    throw new ValidationError(
      {
        en: 'Enter the 6-digit code from your authenticator app.',
        nb: 'Skriv inn den sekssifrede koden fra autentiseringsappen.',
      },
      [
        {
          field: 'totpCode',
          reason: {
            en: 'this account signs in with an authenticator app',
            nb: 'denne kontoen logger inn med en autentiseringsapp',
          },
        },
      ],
    );
  }
  if (method === 'password' && !proof.password) {
    throw new ValidationError({ en: 'Enter your password.', nb: 'Skriv inn passordet ditt.' }, [
      { field: 'password', reason: fieldReasons.confirmItIsYou },
    ]);
  }
  let codeReused = false;
  await checkCredential(
    ctx,
    { ipAddress: caller.ipAddress, normalizedEmail: user.email_normalized },
    async () => {
      if (method === 'password') return verifyPassword(ctx, user, proof.password ?? '');
      const totp = await checkTotpCode(ctx, user.id, proof.totpCode ?? '');
      codeReused = totp === 'already_used';
      return totp === 'accepted';
    },
    {
      clearsAccount: true,
      recordFailure: () =>
        ctx.audit.recordAlone(caller, {
          action: `${purpose}_failed`,
          details: { method },
        }),
      wrong: () => {
        if (codeReused) return new CodeAlreadyUsedError();
        return new InvalidCredentialsError(
          method === 'totp'
            ? { en: 'The code is not right.', nb: 'Koden er ikke riktig.' }
            : { en: 'The password is not right.', nb: 'Passordet er ikke riktig.' },
        );
      },
    },
  );
  return method;
}

export async function unlockVault(
  ctx: ServerContext,
  caller: SessionCaller,
  proof: PresenceProof,
): Promise<VaultStatus> {
  const method = await confirmPresence(ctx, caller, proof, 'vault_unlock');
  const at = ctx.now().toISOString();
  await ctx.database.transaction(async (trx) => {
    await saveUnlock(trx, {
      session_id: caller.sessionId,
      user_id: caller.accountId,
      unlocked_at: at,
      last_activity_at: at,
    });
    await ctx.audit.record(trx, caller, {
      action: 'vault_unlocked',
      details: { method },
    });
  });
  return vaultStatus(ctx, caller);
}

export async function lockVault(ctx: ServerContext, caller: SessionCaller): Promise<VaultStatus> {
  await deleteUnlock(ctx.db, caller.sessionId);
  return { locked: true, lockExpiresAt: null };
}
