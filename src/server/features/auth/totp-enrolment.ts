import { claimTotpStep, updateUser } from '../../accounts/users-repo.js';
import { userOwner } from '../../../db/owners.js';
import type { Caller, SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { DomainError, InvalidCredentialsError, ValidationError } from '../../errors.js';
import { accountView, userOf, type AccountView } from './account-view.js';
import { confirmPassword } from './credentials.js';
import { issueRecoveryCodes } from './recovery-code-sets.js';
import * as repo from './repo.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

const totpKind = 'totp';
const pendingTotpKind = 'totp_pending';

function totpRef(userId: string) {
  return { kind: totpKind, boundId: userId, owner: userOwner(userId) };
}

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
  return (await claimTotpStep(ctx.db, userId, step)) ? 'accepted' : 'already_used';
}

function pendingTotpRef(userId: string) {
  return { kind: pendingTotpKind, boundId: userId, owner: userOwner(userId) };
}

export async function startTotpEnrolment(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password?: string | undefined },
): Promise<{ secret: string; otpauthUri: string }> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  const secret = newTotpSecret();
  await ctx.database.transaction(async (trx) => {
    await ctx.secrets.put(trx, pendingTotpRef(user.id), secret);
    await ctx.audit.record(trx, caller, {
      action: 'totp_enrolment_started',
    });
  });
  return { secret, otpauthUri: totpUri(secret, user.email) };
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
    await updateUser(trx, user.id, {
      totp_enabled_at: now.toISOString(),
      totp_last_step: step,
      updated_at: now.toISOString(),
    });
    const codes = await issueRecoveryCodes(ctx, trx, user.id);
    await ctx.audit.record(trx, caller, {
      action: 'totp_enabled',
    });
    return codes;
  });
  const updated = await userOf(ctx, caller);
  return { account: await accountView(ctx.db, updated), recoveryCodes };
}

export async function disableTotp(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password?: string | undefined },
): Promise<AccountView> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  await ctx.database.transaction(async (trx) => {
    await ctx.secrets.remove(trx, totpRef(user.id));
    await ctx.secrets.remove(trx, pendingTotpRef(user.id));
    await repo.replaceRecoveryCodes(trx, user.id, [], ctx.now());
    await updateUser(trx, user.id, {
      totp_enabled_at: null,
      totp_last_step: null,
      updated_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, caller, {
      action: 'totp_disabled',
    });
  });
  return accountView(ctx.db, await userOf(ctx, caller));
}
