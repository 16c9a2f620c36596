import { upgradePasswordHash, type UserRow } from '../../accounts/users-repo.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { inFlightCaps, limitKeys, lockedOutUntil, policies } from '../../credential-limits.js';
import { InvalidCredentialsError, WeakPasswordError } from '../../errors.js';
import { passwordWeaknessReasons, passwordWeaknesses } from './passwords.js';

export interface CredentialSubject {
  ipAddress: string;
  /** The account's normalized email: unknown emails are limited exactly like real ones. */
  normalizedEmail: string;
}

/**
 * Runs one credential check under the limits and returns what `evaluate` found (false: wrong).
 * The attempt is reserved on the address and the account before `evaluate` looks at anything (so
 * a burst gets no more evaluations than the allowance, across every server process), and only a
 * few run at once per account and address in this process. A right credential gives the reservations back, clearing the account's
 * counter when `clearsAccount` (a completed proof, not a password still waiting for its second
 * factor); a wrong one keeps them, runs `recordFailure` and throws `wrong()`, or RateLimitedError
 * when this attempt was the one trial after a lock-out.
 */
export async function checkCredential<T>(
  ctx: ServerContext,
  subject: CredentialSubject,
  evaluate: () => Promise<T | false>,
  outcome: {
    clearsAccount: boolean;
    recordFailure: () => Promise<void>;
    wrong: () => Error;
  },
): Promise<T> {
  const ipKey = limitKeys.ip(subject.ipAddress);
  const accountKey = limitKeys.account(subject.normalizedEmail);
  const leave = await ctx.limiter.enter([
    { key: ipKey, cap: inFlightCaps.ip },
    { key: accountKey, cap: inFlightCaps.account },
  ]);
  try {
    const reservations = await ctx.limiter.reserve([
      { key: ipKey, policy: policies.ip },
      { key: accountKey, policy: policies.account },
    ]);
    let right: T | false;
    try {
      right = await evaluate();
    } catch (error) {
      await Promise.all(reservations.map((reservation) => ctx.limiter.release(reservation)));
      throw error;
    }
    if (right !== false) {
      await Promise.all(
        reservations.map((reservation) =>
          outcome.clearsAccount && reservation.key === accountKey
            ? ctx.limiter.clear(accountKey)
            : ctx.limiter.release(reservation),
        ),
      );
      return right;
    }
    await outcome.recordFailure();
    const lockEnd = reservations
      .flatMap((reservation) => (reservation.lockedUntil ? [reservation.lockedUntil] : []))
      .sort()
      .at(-1);
    throw lockEnd ? lockedOutUntil(lockEnd, ctx.now()) : outcome.wrong();
  } finally {
    leave();
  }
}

/** Whether the password is the account's; a right one kept at an older cost is re-hashed. */
export async function verifyPassword(
  ctx: ServerContext,
  user: UserRow,
  password: string,
): Promise<boolean> {
  const { right, upgradedHash } = await ctx.passwords.check(user.password_hash, password);
  if (upgradedHash) {
    await upgradePasswordHash(ctx.db, user.id, { from: user.password_hash, to: upgradedHash });
  }
  return right;
}

/**
 * Checks the signed-in person's current password (before changing it or the second factor),
 * under the same limits as sign-in.
 */
export async function confirmPassword(
  ctx: ServerContext,
  caller: SessionCaller,
  user: UserRow,
  password: string,
): Promise<void> {
  await checkCredential(
    ctx,
    { ipAddress: caller.ipAddress, normalizedEmail: user.email_normalized },
    () => verifyPassword(ctx, user, password),
    {
      clearsAccount: true,
      recordFailure: () =>
        ctx.audit.recordAlone(caller, {
          action: 'password_check_failed',
        }),
      wrong: () =>
        new InvalidCredentialsError({
          en: 'The password is not right.',
          nb: 'Passordet er ikke riktig.',
        }),
    },
  );
}

/** Refuses a new password that is easy to guess or made of the account's own name or email. */
export function requireStrongPassword(
  password: string,
  account: { email: string; displayName: string },
): void {
  const weaknesses = passwordWeaknesses(password, account);
  if (weaknesses.length > 0) {
    throw new WeakPasswordError(
      weaknesses.map((weakness) => passwordWeaknessReasons[weakness]),
      weaknesses,
    );
  }
}
