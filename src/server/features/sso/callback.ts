import * as oidc from 'openid-client';
import { normalizeEmail } from '../../accounts/email.js';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  type UserRow,
} from '../../accounts/users-repo.js';
import { sha256Hex } from '../../../crypto/tokens.js';
import { newId } from '../../../db/ids.js';
import { membershipRoles, type MembershipRole } from '../../../db/schema.js';
import type { KnownBrowser } from '../../browser-directory.js';
import type { ServerContext } from '../../context.js';
import type { RequestInfo } from '../../request-info.js';
import { completeProviderSignin, type SignedIn } from '../auth/index.js';
import { insertMembership, updateMembershipRole } from '../orgs/index.js';
import {
  SsoAnswerInvalidError,
  SsoAudienceError,
  SsoCodeRejectedError,
  SsoDeniedError,
  SsoDisabledError,
  SsoDomainNotVerifiedError,
  SsoEmailMissingError,
  SsoNonceError,
  SsoStateError,
  SsoUnreachableError,
} from './errors.js';
import { providerConfiguration, storedProvider } from './provider.js';
import * as repo from './repo.js';
import { emailDomain } from './start.js';

/** What the provider said about the person, as far as Keyhold uses it. */
interface ProviderPerson {
  issuer: string;
  subject: string;
  email: string;
  name: string | undefined;
  groups: string[] | undefined;
}

/** The ID token claim a failed comparison names (openid-client wraps oauth4webapi's error). */
function claimNamedIn(error: unknown): unknown {
  for (let at: unknown = error; at instanceof Object; at = (at as { cause?: unknown }).cause) {
    const claim = (at as { claim?: unknown }).claim;
    if (claim !== undefined) return claim;
  }
  return undefined;
}

/** Turns the client library's refusals into messages a person can act on. */
function refusalOf(error: unknown, organisationName: string): Error {
  if (error instanceof oidc.AuthorizationResponseError) return new SsoDeniedError();
  if (error instanceof oidc.ResponseBodyError) {
    return error.error === 'invalid_grant'
      ? new SsoCodeRejectedError()
      : new SsoAnswerInvalidError();
  }
  if (error instanceof Error && 'code' in error) {
    const claim = claimNamedIn(error);
    if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'nonce') {
      return new SsoNonceError();
    }
    if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'aud') {
      return new SsoAudienceError();
    }
    if (error.code === 'OAUTH_INVALID_RESPONSE' || error.code === 'OAUTH_PARSE_ERROR') {
      return new SsoAnswerInvalidError();
    }
  }
  if (error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError')) {
    return new SsoUnreachableError(organisationName);
  }
  return new SsoAnswerInvalidError();
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function groupsOf(claims: Record<string, unknown>, claim: string | null): string[] | undefined {
  if (claim === null) return undefined;
  const value = claims[claim];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : undefined;
}

/** The most able role any of the person's groups maps to; undefined when none maps. */
export function roleForGroups(
  groups: string[] | undefined,
  groupRoles: Record<string, MembershipRole>,
): MembershipRole | undefined {
  const mapped = (groups ?? []).flatMap((group) => {
    const role = groupRoles[group];
    return role === undefined ? [] : [role];
  });
  return membershipRoles.find((role) => mapped.includes(role));
}

/**
 * Finishes a sign-in at an organisation's provider. The waiting sign-in is taken out of the
 * database in one statement (state and browser binding both matching), so an answer is used once
 * whatever arrives in parallel; then the code is exchanged with the PKCE verifier, and the ID
 * token's signature, issuer, audience and nonce are checked by openid-client.
 */
export async function finishSsoSignin(
  ctx: ServerContext,
  browser: KnownBrowser | null,
  info: RequestInfo,
  input: { parameters: string; browserBinding: string | undefined },
): Promise<SignedIn & { next: string | null }> {
  const query = new URLSearchParams(input.parameters.replace(/^\?/, ''));
  const state = query.get('state');
  if (state === null || input.browserBinding === undefined) throw new SsoStateError();
  const waiting = await repo.takeSigninState(
    ctx.db,
    sha256Hex(state),
    sha256Hex(input.browserBinding),
    ctx.now().toISOString(),
  );
  if (!waiting) throw new SsoStateError();
  const stored = await storedProvider(ctx, waiting.organisation_id);
  if (!stored) throw new SsoStateError();
  const { row: provider, organisationName } = stored;
  if (provider.enabled !== 1) throw new SsoDisabledError(organisationName);

  const config = await providerConfiguration(ctx, {
    organisationId: waiting.organisation_id,
    organisationName,
    issuer: provider.issuer,
    clientId: provider.client_id,
    updatedAt: provider.updated_at,
  });
  const callbackUrl = new URL(waiting.redirect_uri);
  callbackUrl.search = query.toString();
  let person: ProviderPerson;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: waiting.code_verifier,
      expectedState: state,
      expectedNonce: waiting.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new SsoAnswerInvalidError();
    let claims: Record<string, unknown> = idClaims;
    // Providers that keep the email (or groups) out of the ID token give them at userinfo.
    const needsUserinfo =
      stringClaim(claims, 'email') === undefined ||
      (provider.groups_claim !== null && claims[provider.groups_claim] === undefined);
    if (needsUserinfo && config.serverMetadata().userinfo_endpoint !== undefined) {
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...userinfo, ...idClaims };
    }
    const email = stringClaim(claims, 'email');
    if (email === undefined || claims.email_verified === false) throw new SsoEmailMissingError();
    person = {
      issuer: idClaims.iss,
      subject: idClaims.sub,
      email,
      name: stringClaim(claims, 'name'),
      groups: groupsOf(claims, provider.groups_claim),
    };
  } catch (error) {
    if (error instanceof SsoEmailMissingError || error instanceof SsoAnswerInvalidError) {
      throw error;
    }
    throw refusalOf(error, organisationName);
  }

  const domain = emailDomain(person.email);
  const claim = await repo.domainClaim(ctx.db, domain);
  if (claim?.organisation_id !== waiting.organisation_id || claim.verified_at === null) {
    await ctx.audit.recordAlone(
      { ...info, accountId: null },
      {
        action: 'signin_failed',
        organisationId: waiting.organisation_id,
        details: { reason: 'sso_domain_not_verified', domain },
      },
    );
    throw new SsoDomainNotVerifiedError(domain, organisationName);
  }

  const groupRoles = JSON.parse(provider.group_roles) as Record<string, MembershipRole>;
  const mappedRole = roleForGroups(person.groups, groupRoles);
  const user = await accountFor(ctx, info, waiting.organisation_id, person, {
    newMemberRole: mappedRole ?? provider.default_role,
    mappedRole: person.groups === undefined ? undefined : (mappedRole ?? provider.default_role),
  });
  const signedIn = await completeProviderSignin(ctx, user, browser, info, {
    organisationId: waiting.organisation_id,
  });
  return { ...signedIn, next: waiting.next_path };
}

/**
 * The Keyhold account of the provider's person: the one linked to this provider account, else
 * the one with the email (on a domain the organisation verified), else a new one (just in time).
 * Membership follows: added with the mapped or default role, or moved to the role the groups map
 * to. Owners are never changed by the provider.
 */
async function accountFor(
  ctx: ServerContext,
  info: RequestInfo,
  organisationId: string,
  person: ProviderPerson,
  roles: { newMemberRole: MembershipRole; mappedRole: MembershipRole | undefined },
): Promise<UserRow> {
  const emailNormalized = normalizeEmail(person.email);
  const linked = await repo.identityOwner(ctx.db, organisationId, person.issuer, person.subject);
  let user =
    (linked ? await findUserById(ctx.db, linked.user_id) : undefined) ??
    (await findUserByEmail(ctx.db, emailNormalized));
  const at = ctx.now().toISOString();
  return ctx.database.transaction(async (trx) => {
    user ??= await findUserByEmail(trx, emailNormalized);
    if (!user) {
      user = {
        id: newId(),
        email: person.email.trim(),
        email_normalized: emailNormalized,
        display_name: (person.name ?? person.email.split('@')[0] ?? person.email).slice(0, 100),
        // No password: the account signs in through the provider.
        password_hash: '',
        password_changed_at: at,
        totp_enabled_at: null,
        totp_last_step: null,
        language: null,
        // The organisation's provider vouches for the address.
        email_unconfirmed_since: null,
        created_at: at,
        updated_at: at,
      };
      await insertUser(trx, user);
      await ctx.audit.record(
        trx,
        { ...info, accountId: user.id },
        { action: 'signup', organisationId, details: { via: 'sso' } },
      );
    }
    const account = user;
    await repo.linkIdentity(trx, {
      organisationId,
      issuer: person.issuer,
      subject: person.subject,
      userId: account.id,
      at,
    });
    const membership = await repo.membershipRole(trx, organisationId, account.id);
    if (!membership) {
      await insertMembership(trx, {
        organisationId,
        userId: account.id,
        role: roles.newMemberRole,
        at,
      });
      await ctx.audit.record(
        trx,
        { ...info, accountId: account.id },
        {
          action: 'member_added',
          organisationId,
          details: { role: roles.newMemberRole, via: 'sso' },
        },
      );
    } else if (
      roles.mappedRole !== undefined &&
      membership.role !== 'owner' &&
      membership.role !== roles.mappedRole
    ) {
      await updateMembershipRole(trx, organisationId, account.id, roles.mappedRole, at);
      await ctx.audit.record(
        trx,
        { ...info, accountId: account.id },
        {
          action: 'member_role_changed',
          organisationId,
          details: { from: membership.role, to: roles.mappedRole, via: 'sso' },
        },
      );
    }
    return account;
  });
}
