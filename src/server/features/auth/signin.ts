import type { Kysely } from 'kysely';
import { normalizeEmail } from '../../accounts/email.js';
import { insertBrowser, replaceBrowserToken } from '../../accounts/browsers-repo.js';
import {
  browserKnowsUser,
  insertSession,
  revokeSessionsOfBrowser,
} from '../../accounts/sessions-repo.js';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  type UserRow,
} from '../../accounts/users-repo.js';
import { randomToken, sha256Hex } from '../../../crypto/tokens.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { KnownBrowser } from '../../browser-directory.js';
import type { ServerContext } from '../../context.js';
import { limitKeys, policies } from '../../credential-limits.js';
import { ConflictError, InvalidCredentialsError, SigninExpiredError } from '../../errors.js';
import type { Language } from '../../messages.js';
import type { RequestInfo } from '../../request-info.js';
import { signupConfirmingAddress, type ConfirmationSent } from './email-confirmation.js';
import { accountView, type AccountView } from './account-view.js';
import { checkCredential, requireStrongPassword, verifyPassword } from './credentials.js';
import { hashRecoveryCode } from './recovery-codes.js';
import * as repo from './repo.js';
import { checkTotpCode, CodeAlreadyUsedError } from './totp-enrolment.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Identified } from '../../../api/auth.js';
import {
  refuseUnlessSsoOptional,
  ssoOrganisationFor,
  SsoRequiredError,
  startSsoSignin,
} from '../sso/index.js';
import {
  accountNamedBy,
  hasPasskeys,
  passkeyAssertionProves,
  startPasskeyAssertion,
  type RelyingParty,
} from './passkeys.js';

type Db = Kysely<DatabaseSchema>;

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
  methods: ('totp' | 'recovery_code' | 'passkey')[];
  expiresAt: string;
}

const challengeTtlMs = 5 * 60_000;
const challengeAttempts = 5;

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
    await replaceBrowserToken(trx, browser.id, sha256Hex(browserToken), now.toISOString());
    browserId = browser.id;
    csrfToken = browser.csrfToken;
  } else {
    csrfToken = randomToken();
    browserId = await insertBrowser(trx, {
      tokenHash: sha256Hex(browserToken),
      csrfToken,
      userAgent: info.userAgent,
      at: now.toISOString(),
    });
  }
  // One live session per account and browser: signing in again replaces the old one.
  await revokeSessionsOfBrowser(trx, browserId, { reason: 'signed_in_again', now, userId });
  const sessionId = await insertSession(trx, {
    userId,
    browserId,
    ipAddress: info.ipAddress,
    userAgent: info.userAgent,
    now,
  });
  return { browserToken, csrfToken, sessionId };
}

type SigninMethod = 'password' | 'totp' | 'recovery_code' | 'passkey' | 'sso';

/**
 * For an address whose organisation requires its own provider, every other way in stops here:
 * a passkey alone, or a second step begun before an owner turned the rule on. The credential
 * was checked first, so only its holder learns of the rule; the refusal sends them to the
 * provider and is audited for the organisation.
 */
async function refuseWhereProviderRequired(
  ctx: ServerContext,
  user: UserRow,
  info: RequestInfo,
  method: Exclude<SigninMethod, 'sso'>,
): Promise<void> {
  const organisation = await ssoOrganisationFor(ctx, user.email);
  if (!organisation?.requireSso) return;
  await ctx.audit.recordAlone(
    { ...info, accountId: null },
    {
      action: 'signin_failed',
      organisationId: organisation.organisationId,
      subjectUserId: user.id,
      details: { reason: 'sso_required', method },
    },
  );
  throw new SsoRequiredError(organisation.organisationName);
}

async function completeSignin(
  ctx: ServerContext,
  user: UserRow,
  browser: KnownBrowser | null,
  info: RequestInfo,
  method: SigninMethod,
  organisationId?: string,
): Promise<SignedIn> {
  if (method !== 'sso') await refuseWhereProviderRequired(ctx, user, info, method);
  const attached = await ctx.database.transaction(async (trx) => {
    const result = await attachSession(ctx, trx, user.id, browser, info);
    await ctx.audit.record(
      trx,
      { ...info, accountId: user.id },
      {
        action: 'signin',
        ...(organisationId === undefined ? {} : { organisationId }),
        details: { method, sessionId: result.sessionId },
      },
    );
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

/**
 * A sign-in an organisation's provider vouched for (features/sso): the provider is the
 * organisation's authenticator, so no second factor of Keyhold's own is asked for.
 */
export function completeProviderSignin(
  ctx: ServerContext,
  user: UserRow,
  browser: KnownBrowser | null,
  info: RequestInfo,
  via: { organisationId: string },
): Promise<SignedIn> {
  return completeSignin(ctx, user, browser, info, 'sso', via.organisationId);
}

/**
 * Creates an account. Without mail it is signed in at once (and an address already taken is
 * refused); with mail the address is confirmed first (email-confirmation.ts), and every sign-up
 * answers the same.
 */
export async function signup(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { email: string; displayName: string; password: string },
  language: Language,
): Promise<SignedIn | ConfirmationSent> {
  await ctx.limiter.count(limitKeys.signup(info.ipAddress), policies.signup);
  const emailNormalized = normalizeEmail(input.email);
  await refuseUnlessSsoOptional(ctx, input.email);
  requireStrongPassword(input.password, input);
  if (ctx.mail.enabled) {
    return signupConfirmingAddress(ctx, info, input, emailNormalized, language);
  }
  const taken = new ConflictError({
    en: 'An account with this email already exists. Sign in instead.',
    nb: 'Det finnes allerede en konto med denne e-postadressen. Logg på i stedet.',
  });
  if (await findUserByEmail(ctx.db, emailNormalized)) throw taken;
  const passwordHash = await ctx.passwords.hash(input.password);
  const at = ctx.now().toISOString();
  const user: UserRow = {
    id: newId(),
    email: input.email.trim(),
    email_normalized: emailNormalized,
    display_name: input.displayName,
    password_hash: passwordHash,
    password_changed_at: at,
    totp_enabled_at: null,
    totp_last_step: null,
    language,
    email_unconfirmed_since: null,
    created_at: at,
    updated_at: at,
  };
  try {
    await ctx.database.transaction(async (trx) => {
      await insertUser(trx, user);
      await ctx.audit.record(
        trx,
        { ...info, accountId: user.id },
        {
          action: 'signup',
        },
      );
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
  input: { email: string; next?: string | undefined },
  sso: { browserBinding: string; redirectUri: string },
): Promise<Identified> {
  await ctx.limiter.count(limitKeys.identify(info.ipAddress), policies.identify);
  const email = input.email.trim();
  const user = await findUserByEmail(ctx.db, normalizeEmail(email));
  // The same queries run for unknown emails (with an id that matches nothing).
  const known = browser ? await browserKnowsUser(ctx.db, browser.id, user?.id ?? newId()) : false;
  const localPart = email.split('@')[0] ?? email;
  const displayName = user && known ? user.display_name : localPart;
  // An address of an organisation with its own provider goes there, known to Keyhold or not.
  const organisation = await ssoOrganisationFor(ctx, email);
  const started = organisation
    ? await startSsoSignin(ctx, {
        organisationId: organisation.organisationId,
        email,
        browserBinding: sso.browserBinding,
        redirectUri: sso.redirectUri,
        next: input.next,
      })
    : undefined;
  if (organisation && started) {
    return {
      email,
      displayName,
      methods: organisation.requireSso ? ['sso'] : ['sso', 'password'],
      sso: started,
    };
  }
  return { email, displayName, methods: ['password'] };
}

export async function signin(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { email: string; password: string },
): Promise<SignedIn | SecondFactorRequired> {
  const emailNormalized = normalizeEmail(input.email);
  await refuseUnlessSsoOptional(ctx, input.email);
  const found = await findUserByEmail(ctx.db, emailNormalized);
  const withPasskeys = found ? await hasPasskeys(ctx, found.id) : false;
  const user = await checkCredential(
    ctx,
    { ipAddress: info.ipAddress, normalizedEmail: emailNormalized },
    async () => {
      if (!found) return ctx.passwords.verifyNothing(input.password);
      return (await verifyPassword(ctx, found, input.password)) && found;
    },
    {
      // With a second factor to come, the password alone proves nothing yet.
      clearsAccount: found?.totp_enabled_at === null && !withPasskeys,
      recordFailure: () =>
        ctx.audit.recordAlone(
          { ...info, accountId: null },
          {
            action: 'signin_failed',
            subjectUserId: found?.id,
            details: { reason: found ? 'password' : 'unknown_email' },
          },
        ),
      wrong: () => new InvalidCredentialsError(),
    },
  );
  if (user.totp_enabled_at === null && !withPasskeys) {
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
    methods: [
      ...(user.totp_enabled_at === null ? [] : (['totp', 'recovery_code'] as const)),
      ...(withPasskeys ? (['passkey'] as const) : []),
    ],
    expiresAt,
  };
}

export async function signinSecondFactor(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  rp: RelyingParty,
  input: {
    challenge: string;
    totp?: string | undefined;
    recoveryCode?: string | undefined;
    passkey?: AuthenticationResponseJSON | undefined;
  },
): Promise<SignedIn> {
  const tokenHash = sha256Hex(input.challenge);
  const challenge = await repo.findChallenge(ctx.db, tokenHash, ctx.now());
  if (!challenge) throw new SigninExpiredError();
  const user = await findUserById(ctx.db, challenge.user_id);
  if (!user) throw new SigninExpiredError();

  let codeReused = false;
  const method = await checkCredential<'totp' | 'recovery_code' | 'passkey'>(
    ctx,
    { ipAddress: info.ipAddress, normalizedEmail: user.email_normalized },
    async () => {
      // Each try uses up one of the challenge's attempts before the code is looked at.
      if (!(await repo.claimChallengeAttempt(ctx.db, tokenHash, challengeAttempts, ctx.now()))) {
        throw new SigninExpiredError();
      }
      if (input.passkey !== undefined) {
        const ceremony = { purpose: 'second_factor', userId: user.id } as const;
        const proven = await passkeyAssertionProves(ctx, rp, ceremony, input.passkey);
        return proven !== false && 'passkey';
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
        ctx.audit.recordAlone(
          { ...info, accountId: null },
          { action: 'signin_failed', subjectUserId: user.id, details: { reason: 'second_factor' } },
        ),
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
    await ctx.audit.recordAlone(
      { ...info, accountId: user.id },
      {
        action: 'recovery_code_used',
      },
    );
  }
  return completeSignin(ctx, user, browser, info, method);
}

/** Passkey options for the second step of a sign-in that is waiting for its second factor. */
export async function startPasskeySecondFactor(
  ctx: ServerContext,
  rp: RelyingParty,
  info: RequestInfo,
  input: { challenge: string },
) {
  const challenge = await repo.findChallenge(ctx.db, sha256Hex(input.challenge), ctx.now());
  if (!challenge) throw new SigninExpiredError();
  return startPasskeyAssertion(ctx, rp, {
    purpose: 'second_factor',
    userId: challenge.user_id,
    ipAddress: info.ipAddress,
  });
}

/** Options for signing in with a passkey alone: the browser offers the passkeys it holds. */
export function startPasskeySignin(ctx: ServerContext, rp: RelyingParty, info: RequestInfo) {
  return startPasskeyAssertion(ctx, rp, {
    purpose: 'signin',
    userId: null,
    ipAddress: info.ipAddress,
  });
}

/**
 * Sign-in without a password: a passkey that verified its user (PIN or biometrics) is both
 * factors at once. Limited like a password under the account the passkey belongs to.
 */
export async function signinWithPasskey(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  rp: RelyingParty,
  input: { response: AuthenticationResponseJSON },
): Promise<SignedIn> {
  const named = await accountNamedBy(ctx, input.response);
  const userId = await checkCredential(
    ctx,
    {
      ipAddress: info.ipAddress,
      // An unknown passkey is limited under its own ID, which matches no account.
      normalizedEmail: named?.email_normalized ?? `passkey:${input.response.id.slice(0, 100)}`,
    },
    () => passkeyAssertionProves(ctx, rp, { purpose: 'signin', userId: null }, input.response),
    {
      clearsAccount: true,
      recordFailure: () =>
        ctx.audit.recordAlone(
          { ...info, accountId: null },
          { action: 'signin_failed', subjectUserId: named?.id, details: { reason: 'passkey' } },
        ),
      wrong: () =>
        new InvalidCredentialsError({
          en: 'This passkey could not sign you in. Try again, or use your email and password.',
          nb: 'Denne passnøkkelen kunne ikke logge deg på. Prøv igjen, eller bruk e-postadressen og passordet ditt.',
        }),
    },
  );
  const user = await findUserById(ctx.db, userId);
  if (!user) throw new SigninExpiredError();
  return completeSignin(ctx, user, browser, info, 'passkey');
}
