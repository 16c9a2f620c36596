import * as oidc from 'openid-client';
import { sha256Hex } from '../../../crypto/tokens.js';
import { newId } from '../../../db/ids.js';
import type { ServerContext } from '../../context.js';
import { SsoRequiredError } from './errors.js';
import { providerConfiguration, storedProvider } from './provider.js';
import * as repo from './repo.js';

/** How long the provider may take to send the person back. */
const signinStateTtlMs = 10 * 60_000;

export function emailDomain(email: string): string {
  return (email.trim().toLowerCase().split('@').at(-1) ?? '').replace(/\.$/, '');
}

/**
 * The organisation whose provider signs in this email: its domain must be claimed, verified by
 * an owner, and the provider configured and turned on. Anything less: undefined, and the person
 * signs in with a password or passkey as usual.
 */
export async function ssoOrganisationFor(ctx: ServerContext, email: string) {
  const route = await repo.signinRouteForDomain(ctx.db, emailDomain(email));
  if (route?.enabled !== 1 || route.verified_at === null) return undefined;
  return {
    organisationId: route.organisation_id,
    organisationName: route.organisation_name,
    requireSso: route.require_sso === 1,
  };
}

/**
 * Refuses a password or passkey sign-in (and a sign-up) for an address whose organisation
 * requires its own provider: the organisation's directory decides who gets in.
 */
export async function refuseUnlessSsoOptional(ctx: ServerContext, email: string): Promise<void> {
  const organisation = await ssoOrganisationFor(ctx, email);
  if (organisation?.requireSso) throw new SsoRequiredError(organisation.organisationName);
}

/** Only a path inside the web app is a place to return to, never another site. */
function safeNextPath(next: string | undefined): string | null {
  if (next === undefined || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next) || next.length > 500) {
    return null;
  }
  return next;
}

export interface SsoStart {
  organisationName: string;
  redirectTo: string;
}

/**
 * Starts a sign-in at the organisation's provider: authorization code flow with PKCE, a state
 * and a nonce. They stay in the database (state only as a hash), bound to the browser by the
 * value of a cookie of its own, and the person is sent to the returned authorization URL.
 */
export async function startSsoSignin(
  ctx: ServerContext,
  input: {
    organisationId: string;
    email: string;
    browserBinding: string;
    redirectUri: string;
    next?: string | undefined;
  },
): Promise<SsoStart | undefined> {
  const stored = await storedProvider(ctx, input.organisationId);
  if (!stored) return undefined;
  const config = await providerConfiguration(ctx, {
    organisationId: input.organisationId,
    organisationName: stored.organisationName,
    issuer: stored.row.issuer,
    clientId: stored.row.client_id,
    updatedAt: stored.row.updated_at,
  });
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const now = ctx.now();
  await repo.insertSigninState(ctx.db, {
    id: newId(),
    state_hash: sha256Hex(state),
    browser_binding_hash: sha256Hex(input.browserBinding),
    organisation_id: input.organisationId,
    nonce,
    code_verifier: codeVerifier,
    redirect_uri: input.redirectUri,
    next_path: safeNextPath(input.next),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + signinStateTtlMs).toISOString(),
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    scope: 'openid email profile',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: input.email,
  });
  return { organisationName: stored.organisationName, redirectTo: url.href };
}
