import type { Kysely } from 'kysely';
import { randomToken, sha256Hex } from '../../../crypto/tokens.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import { userOwner } from '../../../db/owners.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { KnownBrowser } from '../../browser-directory.js';
import { origin, type Caller, type RequestInfo, type SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { inFlightCaps, limitKeys, lockedOutUntil, policies } from '../../credential-limits.js';
import {
  ConflictError,
  DomainError,
  InvalidCredentialsError,
  NotFoundError,
  SigninExpiredError,
  UnauthenticatedError,
  ValidationError,
  WeakPasswordError,
} from '../../errors.js';
import { revokeAllTokensOfUser } from '../device-auth/service.js';
import type { Language } from '../../messages.js';
import { describeDevice, deviceParts } from './device.js';
import { passwordWeaknessReasons, passwordWeaknesses } from './passwords.js';
import { hashRecoveryCode, newRecoveryCode, recoveryCodeCount } from './recovery-codes.js';
import * as repo from './repo.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

type Db = Kysely<DatabaseSchema>;

export interface AccountView {
  id: string;
  email: string;
  displayName: string;
  createdAt: string;
  totpEnabled: boolean;
  recoveryCodesRemaining: number;
}

export interface BrowserAccountView {
  id: string;
  email: string;
  displayName: string;
  signedIn: boolean;
  isDefault: boolean;
}

/** A sign-in that completed: the route sets the new browser token as the cookie. */
export interface SignedIn {
  status: 'signed_in';
  account: AccountView;
  csrfToken: string;
  browserToken: string;
}

export interface SecondFactorRequired {
  status: 'second_factor_required';
  challenge: string;
  methods: ('totp' | 'recovery_code')[];
  expiresAt: string;
}

const challengeTtlMs = 5 * 60_000;
const challengeAttempts = 5;
const totpKind = 'totp';
const pendingTotpKind = 'totp_pending';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function accountView(db: Db, user: repo.UserRow): Promise<AccountView> {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    createdAt: user.created_at,
    totpEnabled: user.totp_enabled_at !== null,
    recoveryCodesRemaining:
      user.totp_enabled_at === null ? 0 : await repo.countUnusedRecoveryCodes(db, user.id),
  };
}

async function userOf(ctx: ServerContext, caller: Caller): Promise<repo.UserRow> {
  const user = await repo.findUserById(ctx.db, caller.accountId);
  if (!user) throw new UnauthenticatedError();
  return user;
}

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
  user: repo.UserRow,
  password: string,
): Promise<boolean> {
  const { right, upgradedHash } = await ctx.passwords.check(user.password_hash, password);
  if (upgradedHash) {
    await repo.upgradePasswordHash(ctx.db, user.id, { from: user.password_hash, to: upgradedHash });
  }
  return right;
}

/**
 * Checks the signed-in person's current password (before changing it or the second factor),
 * under the same limits as sign-in.
 */
async function confirmPassword(
  ctx: ServerContext,
  caller: SessionCaller,
  user: repo.UserRow,
  password: string,
): Promise<void> {
  await checkCredential(
    ctx,
    { ipAddress: caller.ipAddress, normalizedEmail: user.email_normalized },
    () => verifyPassword(ctx, user, password),
    {
      clearsAccount: true,
      recordFailure: () =>
        ctx.audit.recordAlone({
          action: 'password_check_failed',
          actorUserId: user.id,
          subjectUserId: user.id,
          ...origin(caller),
        }),
      wrong: () =>
        new InvalidCredentialsError({
          en: 'The password is not right.',
          nb: 'Passordet er ikke riktig.',
        }),
    },
  );
}

function requireStrongPassword(
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

/**
 * Attaches a new session for the user to the browser (creating the browser on its first
 * sign-in) and gives the browser a fresh token, so a token seen before a sign-in is worthless.
 */
async function attachSession(
  ctx: ServerContext,
  trx: Db,
  userId: string,
  browser: KnownBrowser | null,
  info: RequestInfo,
): Promise<{ browserToken: string; csrfToken: string; sessionId: string }> {
  const now = ctx.now();
  const browserToken = randomToken();
  let browserId: string;
  let csrfToken: string;
  if (browser) {
    await repo.replaceBrowserToken(trx, browser.id, sha256Hex(browserToken), now.toISOString());
    browserId = browser.id;
    csrfToken = browser.csrfToken;
  } else {
    csrfToken = randomToken();
    browserId = await repo.insertBrowser(trx, {
      tokenHash: sha256Hex(browserToken),
      csrfToken,
      userAgent: info.userAgent,
      at: now.toISOString(),
    });
  }
  // One live session per account and browser: signing in again replaces the old one.
  await repo.revokeSessionsOfBrowser(trx, browserId, { reason: 'signed_in_again', now, userId });
  const sessionId = await repo.insertSession(trx, {
    userId,
    browserId,
    ipAddress: info.ipAddress,
    userAgent: info.userAgent,
    now,
  });
  return { browserToken, csrfToken, sessionId };
}

async function completeSignin(
  ctx: ServerContext,
  user: repo.UserRow,
  browser: KnownBrowser | null,
  info: RequestInfo,
  method: 'password' | 'totp' | 'recovery_code',
): Promise<SignedIn> {
  const attached = await ctx.database.transaction(async (trx) => {
    const result = await attachSession(ctx, trx, user.id, browser, info);
    await ctx.audit.record(trx, {
      action: 'signin',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(info),
      details: { method, sessionId: result.sessionId },
    });
    return result;
  });
  await ctx.limiter.clear(limitKeys.account(user.email_normalized));
  return {
    status: 'signed_in',
    account: await accountView(ctx.db, user),
    csrfToken: attached.csrfToken,
    browserToken: attached.browserToken,
  };
}

export async function signup(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { email: string; displayName: string; password: string },
): Promise<SignedIn> {
  await ctx.limiter.count(limitKeys.signup(info.ipAddress), policies.signup);
  const emailNormalized = normalizeEmail(input.email);
  requireStrongPassword(input.password, input);
  const taken = new ConflictError({
    en: 'An account with this email already exists. Sign in instead.',
    nb: 'Det finnes allerede en konto med denne e-postadressen. Logg på i stedet.',
  });
  if (await repo.findUserByEmail(ctx.db, emailNormalized)) throw taken;
  const passwordHash = await ctx.passwords.hash(input.password);
  const at = ctx.now().toISOString();
  const user: repo.UserRow = {
    id: newId(),
    email: input.email.trim(),
    email_normalized: emailNormalized,
    display_name: input.displayName,
    password_hash: passwordHash,
    password_changed_at: at,
    totp_enabled_at: null,
    totp_last_step: null,
    created_at: at,
    updated_at: at,
  };
  try {
    await ctx.database.transaction(async (trx) => {
      await repo.insertUser(trx, user);
      await ctx.audit.record(trx, {
        action: 'signup',
        actorUserId: user.id,
        subjectUserId: user.id,
        ...origin(info),
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw taken;
    throw error;
  }
  return completeSignin(ctx, user, browser, info, 'password');
}

export async function identify(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { email: string },
): Promise<{ email: string; displayName: string; methods: 'password'[] }> {
  await ctx.limiter.count(limitKeys.identify(info.ipAddress), policies.identify);
  const email = input.email.trim();
  const user = await repo.findUserByEmail(ctx.db, normalizeEmail(email));
  // The same queries run for unknown emails (with an id that matches nothing).
  const known = browser
    ? await repo.browserKnowsUser(ctx.db, browser.id, user?.id ?? newId())
    : false;
  const localPart = email.split('@')[0] ?? email;
  return {
    email,
    displayName: user && known ? user.display_name : localPart,
    methods: ['password'],
  };
}

export async function signin(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { email: string; password: string },
): Promise<SignedIn | SecondFactorRequired> {
  const emailNormalized = normalizeEmail(input.email);
  const found = await repo.findUserByEmail(ctx.db, emailNormalized);
  const user = await checkCredential(
    ctx,
    { ipAddress: info.ipAddress, normalizedEmail: emailNormalized },
    async () => {
      if (!found) return ctx.passwords.verifyNothing(input.password);
      return (await verifyPassword(ctx, found, input.password)) && found;
    },
    {
      // With a second factor to come, the password alone proves nothing yet.
      clearsAccount: found?.totp_enabled_at === null,
      recordFailure: () =>
        ctx.audit.recordAlone({
          action: 'signin_failed',
          subjectUserId: found?.id,
          ...origin(info),
          details: { reason: found ? 'password' : 'unknown_email' },
        }),
      wrong: () => new InvalidCredentialsError(),
    },
  );
  if (user.totp_enabled_at === null) {
    return completeSignin(ctx, user, browser, info, 'password');
  }
  const challenge = randomToken();
  const expiresAt = await repo.insertChallenge(ctx.db, {
    tokenHash: sha256Hex(challenge),
    userId: user.id,
    now: ctx.now(),
    ttlMs: challengeTtlMs,
  });
  return {
    status: 'second_factor_required',
    challenge,
    methods: ['totp', 'recovery_code'],
    expiresAt,
  };
}

export async function signinSecondFactor(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { challenge: string; totp?: string | undefined; recoveryCode?: string | undefined },
): Promise<SignedIn> {
  const tokenHash = sha256Hex(input.challenge);
  const challenge = await repo.findChallenge(ctx.db, tokenHash, ctx.now());
  if (!challenge) throw new SigninExpiredError();
  const user = await repo.findUserById(ctx.db, challenge.user_id);
  if (!user) throw new SigninExpiredError();

  let codeReused = false;
  const method = await checkCredential<'totp' | 'recovery_code'>(
    ctx,
    { ipAddress: info.ipAddress, normalizedEmail: user.email_normalized },
    async () => {
      // Each try uses up one of the challenge's attempts before the code is looked at.
      if (!(await repo.claimChallengeAttempt(ctx.db, tokenHash, challengeAttempts, ctx.now()))) {
        throw new SigninExpiredError();
      }
      if (input.totp !== undefined) {
        const totp = await checkTotpCode(ctx, user.id, input.totp);
        codeReused = totp === 'already_used';
        return totp === 'accepted' && 'totp';
      }
      if (input.recoveryCode === undefined) return false;
      const code = hashRecoveryCode(input.recoveryCode);
      return (await repo.useRecoveryCode(ctx.db, user.id, code, ctx.now())) && 'recovery_code';
    },
    {
      clearsAccount: true,
      recordFailure: () =>
        ctx.audit.recordAlone({
          action: 'signin_failed',
          subjectUserId: user.id,
          ...origin(info),
          details: { reason: 'second_factor' },
        }),
      wrong: () =>
        codeReused
          ? new CodeAlreadyUsedError()
          : new InvalidCredentialsError({
              en: 'The code is not right.',
              nb: 'Koden er ikke riktig.',
            }),
    },
  );
  await repo.deleteChallenge(ctx.db, challenge.id);
  if (method === 'recovery_code') {
    await ctx.audit.recordAlone({
      action: 'recovery_code_used',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(info),
    });
  }
  return completeSignin(ctx, user, browser, info, method);
}

export async function browserAccounts(
  ctx: ServerContext,
  browser: KnownBrowser | null,
): Promise<BrowserAccountView[]> {
  if (!browser) return [];
  const live = await repo.liveSessionsOfBrowser(ctx.db, browser.id, ctx.now());
  const remembered = await repo.rememberedAccountsOfBrowser(
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
      const userIds = await repo.revokeSessionsOfBrowser(trx, caller.browserId, {
        reason: 'signout',
        now,
      });
      for (const userId of userIds) {
        await ctx.audit.record(trx, {
          action: 'signout',
          actorUserId: userId,
          subjectUserId: userId,
          ...origin(caller),
          details: { scope: 'browser' },
        });
      }
    }
    const everywhere = input.everywhere === true;
    const revoked = await repo.revokeSessionsOfUser(trx, caller.accountId, {
      reason: everywhere ? 'signout_everywhere' : 'signout',
      now,
      ...(everywhere ? {} : { only: caller.sessionId }),
    });
    // Everywhere means every device too: a `keyhold login` token would otherwise still read keys.
    const tokensRevoked = everywhere ? await revokeAllTokensOfUser(trx, caller.accountId, now) : 0;
    if (revoked > 0 || everywhere) {
      await ctx.audit.record(trx, {
        action: 'signout',
        actorUserId: caller.accountId,
        subjectUserId: caller.accountId,
        ...origin(caller),
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
  if (!browser) throw new NotFoundError('The account');
  const now = ctx.now();
  await ctx.database.transaction(async (trx) => {
    const ended = await repo.revokeSessionsOfBrowser(trx, browser.id, {
      reason: 'signout',
      now,
      userId,
    });
    if (ended.length > 0) {
      await ctx.audit.record(trx, {
        action: 'signout',
        actorUserId: userId,
        subjectUserId: userId,
        ...origin(info),
        details: { scope: 'this_browser' },
      });
    }
    await repo.forgetUserInBrowser(trx, browser.id, userId, now);
  });
}

export async function me(ctx: ServerContext, caller: Caller) {
  const user = await userOf(ctx, caller);
  const memberships = await repo.membershipsOfUser(ctx.db, caller.accountId);
  return {
    account: await accountView(ctx.db, user),
    memberships: memberships.map((m) => ({
      organisationId: m.organisation_id,
      organisationName: m.organisation_name,
      role: m.role,
    })),
  };
}

export async function updateMe(ctx: ServerContext, caller: Caller, input: { displayName: string }) {
  const user = await userOf(ctx, caller);
  await ctx.database.transaction(async (trx) => {
    await repo.updateUser(trx, user.id, {
      display_name: input.displayName,
      updated_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, {
      action: 'profile_changed',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
      details: { fields: ['displayName'] },
    });
  });
  return me(ctx, caller);
}

/** `device` is worded in `language`; `browser` and `system` are the same facts for scripts. */
export async function listSessions(
  ctx: ServerContext,
  caller: SessionCaller,
  language: Language = 'en',
) {
  const sessions = await repo.liveSessionsOfUser(ctx.db, caller.accountId, ctx.now());
  return sessions.map((session) => {
    const idleEnd = new Date(Date.parse(session.last_used_at) + repo.sessionIdleMs).toISOString();
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
  if (!session) throw new NotFoundError('The session');
  return session;
}

export async function revokeSession(
  ctx: ServerContext,
  caller: SessionCaller,
  sessionId: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    const revoked = await repo.revokeSessionsOfUser(trx, caller.accountId, {
      reason: 'revoked',
      now: ctx.now(),
      only: sessionId,
    });
    if (revoked === 0) throw new NotFoundError('The session');
    await ctx.audit.record(trx, {
      action: 'session_revoked',
      actorUserId: caller.accountId,
      subjectUserId: caller.accountId,
      ...origin(caller),
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
    const revoked = await repo.revokeSessionsOfUser(trx, caller.accountId, {
      reason: 'revoked',
      now,
      except: caller.sessionId,
    });
    const tokensRevoked = await revokeAllTokensOfUser(trx, caller.accountId, now);
    await ctx.audit.record(trx, {
      action: 'sessions_revoked',
      actorUserId: caller.accountId,
      subjectUserId: caller.accountId,
      ...origin(caller),
      details: { sessionsEnded: revoked, tokensRevoked },
    });
    return { revoked, tokensRevoked };
  });
}

export async function changePassword(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { currentPassword: string; newPassword: string },
): Promise<number> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.currentPassword);
  requireStrongPassword(input.newPassword, { email: user.email, displayName: user.display_name });
  if (input.newPassword === input.currentPassword) {
    throw new ValidationError({
      en: 'The new password is the same as the current one.',
      nb: 'Det nye passordet er det samme som det du har nå.',
    });
  }
  const passwordHash = await ctx.passwords.hash(input.newPassword);
  const now = ctx.now();
  return ctx.database.transaction(async (trx) => {
    await repo.updateUser(trx, user.id, {
      password_hash: passwordHash,
      password_changed_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    const revoked = await repo.revokeSessionsOfUser(trx, user.id, {
      reason: 'password_changed',
      now,
      except: caller.sessionId,
    });
    const tokensRevoked = await revokeAllTokensOfUser(trx, user.id, now);
    await ctx.audit.record(trx, {
      action: 'password_changed',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
      details: { sessionsEnded: revoked, tokensRevoked },
    });
    return revoked;
  });
}

function totpRef(userId: string) {
  return { kind: totpKind, boundId: userId, owner: userOwner(userId) };
}

/**
 * Whether the code is the account's current authenticator code, used up by this check: a code
 * is accepted once, so one seen over someone's shoulder cannot be replayed.
 */
/**
 * A right code whose time step was already taken (by an earlier sign-in, unlock or export) is
 * refused as "already used", so the person waits for the next code rather than retyping this one.
 */
export class CodeAlreadyUsedError extends DomainError {
  constructor() {
    super(401, 'code_already_used', {
      en: 'This code was already used. Wait for the next code in your authenticator app and enter that one.',
      nb: 'Denne koden er allerede brukt. Vent på neste kode i autentiseringsappen, og skriv inn den.',
    });
  }
}

/** Whether the code is the account's for now and unused; taking it uses its time step up. */
export async function checkTotpCode(
  ctx: ServerContext,
  userId: string,
  code: string,
): Promise<'accepted' | 'already_used' | 'wrong'> {
  const secret = await ctx.secrets.getText(ctx.db, totpRef(userId));
  const step = secret === undefined ? undefined : totpStep(secret, code, ctx.now());
  if (step === undefined) return 'wrong';
  return (await repo.claimTotpStep(ctx.db, userId, step)) ? 'accepted' : 'already_used';
}

function pendingTotpRef(userId: string) {
  return { kind: pendingTotpKind, boundId: userId, owner: userOwner(userId) };
}

export async function startTotpEnrolment(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password: string },
): Promise<{ secret: string; otpauthUri: string }> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  const secret = newTotpSecret();
  await ctx.database.transaction(async (trx) => {
    await ctx.secrets.put(trx, pendingTotpRef(user.id), secret);
    await ctx.audit.record(trx, {
      action: 'totp_enrolment_started',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
    });
  });
  return { secret, otpauthUri: totpUri(secret, user.email) };
}

async function issueRecoveryCodes(ctx: ServerContext, trx: Db, userId: string) {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await repo.replaceRecoveryCodes(trx, userId, codes.map(hashRecoveryCode), ctx.now());
  return codes;
}

export async function confirmTotp(
  ctx: ServerContext,
  caller: Caller,
  input: { totp: string },
): Promise<{ account: AccountView; recoveryCodes: string[] }> {
  const user = await userOf(ctx, caller);
  const secret = await ctx.secrets.getText(ctx.db, pendingTotpRef(user.id));
  if (secret === undefined) {
    throw new ValidationError({
      en: 'Start TOTP enrolment first: there is no code to confirm.',
      nb: 'Start oppsettet av autentiseringsappen først: det er ingen kode å bekrefte.',
    });
  }
  const now = ctx.now();
  const step = totpStep(secret, input.totp, now);
  if (step === undefined) {
    throw new InvalidCredentialsError({
      en: 'The code is not right. Check the time on your phone and try the next code.',
      nb: 'Koden er ikke riktig. Sjekk klokken på telefonen og prøv neste kode.',
    });
  }
  const recoveryCodes = await ctx.database.transaction(async (trx) => {
    await ctx.secrets.put(trx, totpRef(user.id), secret);
    await ctx.secrets.remove(trx, pendingTotpRef(user.id));
    await repo.updateUser(trx, user.id, {
      totp_enabled_at: now.toISOString(),
      totp_last_step: step,
      updated_at: now.toISOString(),
    });
    const codes = await issueRecoveryCodes(ctx, trx, user.id);
    await ctx.audit.record(trx, {
      action: 'totp_enabled',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
    });
    return codes;
  });
  const updated = await userOf(ctx, caller);
  return { account: await accountView(ctx.db, updated), recoveryCodes };
}

export async function disableTotp(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password: string },
): Promise<AccountView> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  await ctx.database.transaction(async (trx) => {
    await ctx.secrets.remove(trx, totpRef(user.id));
    await ctx.secrets.remove(trx, pendingTotpRef(user.id));
    await repo.replaceRecoveryCodes(trx, user.id, [], ctx.now());
    await repo.updateUser(trx, user.id, {
      totp_enabled_at: null,
      totp_last_step: null,
      updated_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, {
      action: 'totp_disabled',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
    });
  });
  return accountView(ctx.db, await userOf(ctx, caller));
}

export async function regenerateRecoveryCodes(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password: string },
): Promise<string[]> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  if (user.totp_enabled_at === null) {
    throw new ValidationError({
      en: 'Turn on TOTP first: recovery codes stand in for its codes.',
      nb: 'Slå på autentiseringsappen først: gjenopprettingskodene erstatter kodene fra den.',
    });
  }
  return ctx.database.transaction(async (trx) => {
    const codes = await issueRecoveryCodes(ctx, trx, user.id);
    await ctx.audit.record(trx, {
      action: 'recovery_codes_created',
      actorUserId: user.id,
      subjectUserId: user.id,
      ...origin(caller),
    });
    return codes;
  });
}
