import { upgradePasswordHash, type UserRow } from '../../accounts/users-repo.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { inFlightCaps, limitKeys, lockedOutUntil, policies } from '../../credential-limits.js';
import {
  DomainError,
  InvalidCredentialsError,
  ValidationError,
  WeakPasswordError,
} from '../../errors.js';
import { sessionSignedInAt } from '../../accounts/sessions-repo.js';
import { fieldReasons } from '../../messages.js';
import { hasOwnPassword } from './account-view.js';
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
  // No password matches an account without one; the hash is computed all the same.
  if (!hasOwnPassword(user)) return ctx.passwords.verifyNothing(password);
  const { right, upgradedHash } = await ctx.passwords.check(user.password_hash, password);
  if (upgradedHash) {
    await upgradePasswordHash(ctx.db, user.id, { from: user.password_hash, to: upgradedHash });
  }
  return right;
}

/**
 * Checks the signed-in person's current password (before changing it or the second factor),
 * under the same limits as sign-in. An account without a password (made by an organisation's
 * sign-in service) proves it is the person by a sign-in of at most a few minutes ago instead.
 */
export async function confirmPassword(
  ctx: ServerContext,
  caller: SessionCaller,
  user: UserRow,
  password: string | undefined,
): Promise<void> {
  if (!hasOwnPassword(user)) {
    await requireFreshSignin(ctx, caller);
    return;
  }
  if (password === undefined) {
    throw new ValidationError({ en: 'Enter your password.', nb: 'Skriv inn passordet ditt.' }, [
      { field: 'password', reason: fieldReasons.confirmItIsYou },
    ]);
  }
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

/** How recent the sign-in of an account without a password must be to change its ways in. */
export const freshSigninMinutes = 5;

export class FreshSigninRequiredError extends DomainError {
  constructor() {
    super(403, 'fresh_signin_required', {
      en: `Your account signs in through your organisation's sign-in service and has no password. Sign in again, then do this within ${String(freshSigninMinutes)} minutes.`,
      nb: `Kontoen din logger på gjennom organisasjonens påloggingstjeneste og har ikke noe passord. Logg på igjen, og gjør dette innen ${String(freshSigninMinutes)} minutter.`,
    });
  }
}

async function requireFreshSignin(ctx: ServerContext, caller: SessionCaller): Promise<void> {
  const signedInAt = await sessionSignedInAt(ctx.db, caller.sessionId);
  const age = signedInAt === undefined ? Infinity : ctx.now().getTime() - Date.parse(signedInAt);
  if (age > freshSigninMinutes * 60_000) throw new FreshSigninRequiredError();
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
