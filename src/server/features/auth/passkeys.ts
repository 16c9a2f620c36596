import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import { findUserById, type UserRow } from '../../accounts/users-repo.js';
import { expectedOrigin } from '../../browser-cookie.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { limitKeys, policies } from '../../credential-limits.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { PasskeysTable, WebauthnPurpose } from '../../../db/schema.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../errors.js';
import { userOf } from './account-view.js';
import { confirmPassword } from './credentials.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

/** Where WebAuthn ceremonies happen: the web app's origin and its host name as the RP ID. */
export interface RelyingParty {
  id: string;
  origin: string;
}

export function relyingPartyOf(request: FastifyRequest): RelyingParty {
  const origin = expectedOrigin(request, request.server.keyhold.config);
  return { id: new URL(origin).hostname, origin };
}

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const ceremonyTtlMs = 5 * 60_000;

/** Options passed through to the browser's WebAuthn call as JSON. */
export type PasskeyOptions = Record<string, unknown>;

function asJson(options: object): PasskeyOptions {
  return options as PasskeyOptions;
}
const rpName = 'Keyhold';

/** The browser's answer did not come from a ceremony this server started, or came too late. */
export class PasskeyCeremonyExpiredError extends DomainError {
  constructor() {
    super(400, 'passkey_ceremony_expired', {
      en: 'The passkey request expired. Try again.',
      nb: 'Forespørselen om passnøkkel er utløpt. Prøv igjen.',
    });
  }
}

function passkeyView(row: PasskeysTable): PasskeyView {
  return { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at };
}

function transportsOf(row: PasskeysTable): AuthenticatorTransport[] {
  return JSON.parse(row.transports) as AuthenticatorTransport[];
}

/** The challenge the browser signed, read from its client data; undefined when unreadable. */
function signedChallenge(clientDataJSON: string): string | undefined {
  try {
    const clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof clientData.challenge === 'string' ? clientData.challenge : undefined;
  } catch {
    return undefined;
  }
}

async function storeChallenge(
  ctx: ServerContext,
  challenge: string,
  purpose: WebauthnPurpose,
  userId: string | null,
): Promise<void> {
  await repo.insertWebauthnChallenge(ctx.db, {
    challenge,
    purpose,
    userId,
    now: ctx.now(),
    ttlMs: ceremonyTtlMs,
  });
}

/** Registration needs the password, so a session left open somewhere cannot add a way in. */
export async function startPasskeyRegistration(
  ctx: ServerContext,
  caller: SessionCaller,
  rp: RelyingParty,
  input: { password?: string | undefined },
): Promise<PasskeyOptions> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  const existing = await repo.listPasskeys(ctx.db, user.id);
  const options = await generateRegistrationOptions({
    rpName,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.display_name,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    timeout: ceremonyTtlMs,
    excludeCredentials: existing.map((row) => ({
      id: row.credential_id,
      transports: transportsOf(row),
    })),
    // Discoverable, so the passkey alone can sign in; verified, so it counts as two factors.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await storeChallenge(ctx, options.challenge, 'register', user.id);
  return asJson(options);
}

export async function finishPasskeyRegistration(
  ctx: ServerContext,
  caller: SessionCaller,
  rp: RelyingParty,
  input: { name: string; response: RegistrationResponseJSON },
): Promise<PasskeyView> {
  const challenge = signedChallenge(input.response.response.clientDataJSON);
  const taken =
    challenge &&
    (await repo.takeWebauthnChallenge(ctx.db, {
      challenge,
      purpose: 'register',
      userId: caller.accountId,
      now: ctx.now(),
    }));
  if (!challenge || !taken) throw new PasskeyCeremonyExpiredError();
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: true,
  }).catch(() => undefined);
  if (!verification?.verified) {
    throw new ValidationError({
      en: 'The passkey could not be checked. Try again, or use another passkey.',
      nb: 'Passnøkkelen kunne ikke kontrolleres. Prøv igjen, eller bruk en annen passnøkkel.',
    });
  }
  const { credential } = verification.registrationInfo;
  const at = ctx.now().toISOString();
  const row: PasskeysTable = {
    id: newId(),
    user_id: caller.accountId,
    credential_id: credential.id,
    public_key: Buffer.from(credential.publicKey),
    sign_count: credential.counter,
    transports: JSON.stringify(credential.transports ?? input.response.response.transports ?? []),
    name: input.name.trim(),
    created_at: at,
    last_used_at: null,
  };
  try {
    await ctx.database.transaction(async (trx) => {
      await repo.insertPasskey(trx, row);
      await ctx.audit.record(trx, caller, {
        action: 'passkey_added',
        details: { passkeyId: row.id },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError({
        en: 'This passkey is already registered.',
        nb: 'Denne passnøkkelen er allerede registrert.',
      });
    }
    throw error;
  }
  return passkeyView(row);
}

export async function listPasskeys(
  ctx: ServerContext,
  caller: SessionCaller,
): Promise<PasskeyView[]> {
  return (await repo.listPasskeys(ctx.db, caller.accountId)).map(passkeyView);
}

const passkeyNotFound = () => new NotFoundError(things.passkey);

export async function renamePasskey(
  ctx: ServerContext,
  caller: SessionCaller,
  passkeyId: string,
  name: string,
): Promise<PasskeyView> {
  if (!(await repo.renamePasskey(ctx.db, caller.accountId, passkeyId, name.trim()))) {
    throw passkeyNotFound();
  }
  const row = (await repo.listPasskeys(ctx.db, caller.accountId)).find((p) => p.id === passkeyId);
  if (!row) throw passkeyNotFound();
  return passkeyView(row);
}

export async function removePasskey(
  ctx: ServerContext,
  caller: SessionCaller,
  passkeyId: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    if (!(await repo.deletePasskey(trx, caller.accountId, passkeyId))) throw passkeyNotFound();
    await ctx.audit.record(trx, caller, { action: 'passkey_removed', details: { passkeyId } });
  });
}

/**
 * Options for signing with a passkey. Without an account (sign-in without a password) the
 * browser offers whichever passkeys it holds for this site; with one, only that account's.
 */
export async function startPasskeyAssertion(
  ctx: ServerContext,
  rp: RelyingParty,
  ceremony: {
    purpose: Exclude<WebauthnPurpose, 'register'>;
    userId: string | null;
    ipAddress: string;
  },
): Promise<PasskeyOptions> {
  // Each request stores a challenge: unauthenticated ones are limited like the identify step.
  if (ceremony.userId === null) {
    await ctx.limiter.count(limitKeys.identify(ceremony.ipAddress), policies.identify);
  }
  const allowed = ceremony.userId === null ? [] : await repo.listPasskeys(ctx.db, ceremony.userId);
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    timeout: ceremonyTtlMs,
    allowCredentials: allowed.map((row) => ({
      id: row.credential_id,
      transports: transportsOf(row),
    })),
  });
  await storeChallenge(ctx, options.challenge, ceremony.purpose, ceremony.userId);
  return asJson(options);
}

/** The account a sign-in assertion names, so the account's credential limits apply to it. */
export async function accountNamedBy(
  ctx: ServerContext,
  response: AuthenticationResponseJSON,
): Promise<UserRow | undefined> {
  const passkey = await repo.findPasskeyByCredentialId(ctx.db, response.id);
  return passkey ? findUserById(ctx.db, passkey.user_id) : undefined;
}

/**
 * Checks one assertion: its challenge is taken first (so it can be used once, and of a burst
 * sharing it at most one is evaluated further), then the passkey's signature, user
 * verification, origin and RP ID. Returns the account it proves, or false. Call it inside
 * `checkCredential`.
 */
export async function passkeyAssertionProves(
  ctx: ServerContext,
  rp: RelyingParty,
  ceremony: { purpose: Exclude<WebauthnPurpose, 'register'>; userId: string | null },
  response: AuthenticationResponseJSON,
): Promise<string | false> {
  const challenge = signedChallenge(response.response.clientDataJSON);
  if (!challenge) return false;
  const taken = await repo.takeWebauthnChallenge(ctx.db, {
    challenge,
    purpose: ceremony.purpose,
    userId: ceremony.userId,
    now: ctx.now(),
  });
  if (!taken) return false;
  const passkey = await repo.findPasskeyByCredentialId(ctx.db, response.id);
  if (!passkey) return false;
  if (ceremony.userId !== null && passkey.user_id !== ceremony.userId) return false;
  const userHandle = response.response.userHandle;
  if (
    userHandle !== undefined &&
    Buffer.from(userHandle, 'base64url').toString('utf8') !== passkey.user_id
  ) {
    return false;
  }
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: true,
    credential: {
      id: passkey.credential_id,
      publicKey: new Uint8Array(passkey.public_key),
      counter: passkey.sign_count,
      transports: transportsOf(passkey),
    },
  }).catch(() => undefined);
  if (!verification?.verified) return false;
  await repo.recordPasskeyUse(ctx.db, passkey.id, {
    signCount: verification.authenticationInfo.newCounter,
    at: ctx.now().toISOString(),
  });
  return passkey.user_id;
}

export function hasPasskeys(ctx: ServerContext, userId: string): Promise<boolean> {
  return repo.countPasskeys(ctx.db, userId).then((count) => count > 0);
}
