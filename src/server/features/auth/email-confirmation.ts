import type { Kysely } from 'kysely';
import { randomToken, sha256Hex } from '../../../crypto/tokens.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  updateUser,
  type UserRow,
} from '../../accounts/users-repo.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { limitKeys, policies } from '../../credential-limits.js';
import { ConflictError, DomainError } from '../../errors.js';
import { confirmAddress, recipientOf, signupAttempt } from '../../mail/messages.js';
import type { Language } from '../../messages.js';
import type { RequestInfo } from '../../request-info.js';

type Db = Kysely<DatabaseSchema>;

/**
 * Confirming the address of an account, when the server sends mail. A sign-up then creates the
 * account unconfirmed and mails a single-use link (its token stored as a SHA-256, valid for a
 * day); until the link is opened the account signs in but holds no keys and joins no
 * organisation. A sign-up with an address that already has an account answers exactly the same
 * and mails the address's owner instead, so sign-up does not tell who has an account.
 */

export const confirmationValidHours = 24;
const hourMs = 60 * 60_000;

/** What every sign-up answers while mail is on, whether the address was free or not. */
export interface ConfirmationSent {
  status: 'confirmation_sent';
  email: string;
}

/** The account must confirm its address before it holds keys. */
export class EmailUnconfirmedError extends DomainError {
  constructor(email: string) {
    super(403, 'email_unconfirmed', {
      en: `Confirm your email address first: open the link we sent to ${email}. No email? Ask for a new link.`,
      nb: `Bekreft e-postadressen din først: åpne lenken vi sendte til ${email}. Ingen e-post? Be om en ny lenke.`,
    });
  }
}

export class ConfirmationLinkInvalidError extends DomainError {
  constructor() {
    super(400, 'confirmation_link_invalid', {
      en: 'This confirmation link is used, expired or not complete. Sign in and ask for a new one.',
      nb: 'Denne bekreftelseslenken er brukt, utløpt eller ufullstendig. Logg på og be om en ny.',
    });
  }
}

/** A new link for the account, queued in `trx`. */
async function queueConfirmationLink(ctx: ServerContext, trx: Db, user: UserRow): Promise<void> {
  const token = randomToken();
  const now = ctx.now();
  await trx
    .insertInto('email_confirmations')
    .values({
      id: newId(),
      user_id: user.id,
      token_hash: sha256Hex(token),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + confirmationValidHours * hourMs).toISOString(),
      used_at: null,
    })
    .execute();
  // The token travels in the fragment: browsers never send it to a server, so it stays out of
  // request logs and Referer headers.
  await ctx.mail.queue(trx, [
    confirmAddress(recipientOf(user), {
      link: ctx.mail.link(`/confirm-email#token=${token}`),
      validHours: confirmationValidHours,
    }),
  ]);
}

/**
 * Sign-up while mail is on. Both paths hash the password, write one transaction and queue one
 * message, so they take about as long.
 */
export async function signupConfirmingAddress(
  ctx: ServerContext,
  info: RequestInfo,
  input: { email: string; displayName: string; password: string },
  emailNormalized: string,
  language: Language,
): Promise<ConfirmationSent> {
  const answer: ConfirmationSent = { status: 'confirmation_sent', email: input.email.trim() };
  const existing = await findUserByEmail(ctx.db, emailNormalized);
  const passwordHash = await ctx.passwords.hash(input.password);
  const at = ctx.now().toISOString();
  if (existing) {
    await tellOwnerOfAttempt(ctx, info, existing, at);
    return answer;
  }
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
    email_unconfirmed_since: at,
    created_at: at,
    updated_at: at,
  };
  try {
    await ctx.database.transaction(async (trx) => {
      await insertUser(trx, user);
      await ctx.audit.record(trx, { ...info, accountId: user.id }, { action: 'signup' });
      await queueConfirmationLink(ctx, trx, user);
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Someone signed up with the address a moment earlier: they own it now.
    const winner = await findUserByEmail(ctx.db, emailNormalized);
    if (winner) await tellOwnerOfAttempt(ctx, info, winner, at);
  }
  return answer;
}

async function tellOwnerOfAttempt(
  ctx: ServerContext,
  info: RequestInfo,
  owner: UserRow,
  at: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    await ctx.audit.record(
      trx,
      { ...info, accountId: null },
      { action: 'signup_with_taken_email', subjectUserId: owner.id },
    );
    await ctx.mail.queue(trx, [
      signupAttempt(recipientOf(owner), { at, signinLink: ctx.mail.link('/sign-in') }),
    ]);
  });
}

/**
 * Opens a confirmation link: the account's address is confirmed, and the organisations that
 * invited the address take it in. A link works once, whatever the number of concurrent tries.
 */
export async function confirmEmail(
  ctx: ServerContext,
  info: RequestInfo,
  token: string,
): Promise<{ status: 'confirmed'; email: string }> {
  await ctx.limiter.count(limitKeys.confirmEmail(info.ipAddress), policies.confirmEmail);
  const at = ctx.now().toISOString();
  // Loaded when used: the organisations feature imports this feature's index for its sign-in
  // policies, and a static import back would close a loop at load time.
  const { acceptInvitations } = await import('../orgs/index.js');
  const confirmed = await ctx.database.transaction(async (trx) => {
    const link = await trx
      .updateTable('email_confirmations')
      .set({ used_at: at })
      .where('token_hash', '=', sha256Hex(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning('user_id')
      .executeTakeFirst();
    if (!link) return undefined;
    const user = await findUserById(trx, link.user_id);
    if (!user) return undefined;
    await updateUser(trx, user.id, { email_unconfirmed_since: null, updated_at: at });
    await ctx.audit.record(trx, { ...info, accountId: user.id }, { action: 'email_confirmed' });
    await acceptInvitations(ctx, trx, { ...info, accountId: user.id }, user);
    return user;
  });
  if (!confirmed) throw new ConfirmationLinkInvalidError();
  return { status: 'confirmed', email: confirmed.email };
}

/** A new link for the caller's unconfirmed account. */
export async function resendConfirmation(
  ctx: ServerContext,
  caller: Caller,
): Promise<ConfirmationSent> {
  const user = await findUserById(ctx.db, caller.accountId);
  const waiting = user?.email_unconfirmed_since;
  if (!user || waiting === null || waiting === undefined || !ctx.mail.enabled) {
    throw new ConflictError({
      en: 'Your email address needs no confirming.',
      nb: 'E-postadressen din trenger ingen bekreftelse.',
    });
  }
  await ctx.limiter.count(limitKeys.confirmationMail(user.id), policies.confirmationMail);
  await ctx.database.transaction(async (trx) => {
    await queueConfirmationLink(ctx, trx, user);
  });
  return { status: 'confirmation_sent', email: user.email };
}

/** Refuses key storage to an account whose address waits for confirmation (mail on only). */
export async function requireConfirmedAddress(ctx: ServerContext, caller: Caller): Promise<void> {
  if (!ctx.mail.enabled) return;
  const user = await findUserById(ctx.db, caller.accountId);
  if (user && user.email_unconfirmed_since !== null) throw new EmailUnconfirmedError(user.email);
}
