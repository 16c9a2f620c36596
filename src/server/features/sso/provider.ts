import * as oidc from 'openid-client';
import { organisationOwner } from '../../../db/owners.js';
import type { ServerContext } from '../../context.js';
import { SsoUnreachableError } from './errors.js';
import * as repo from './repo.js';

export const clientSecretKind = 'sso_client_secret';

export function clientSecretRef(organisationId: string) {
  return {
    kind: clientSecretKind,
    boundId: organisationId,
    owner: organisationOwner(organisationId),
  };
}

/** Plain HTTP is for a provider on this machine only (a test or development provider). */
export function isLoopbackUrl(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

const discoveryTtlMs = 10 * 60_000;
const requestTimeoutSeconds = 10;

/**
 * Discovered provider configurations, per organisation and settings version. Only public
 * metadata and the client credentials are kept, never anything of a browser, so every server
 * process may keep its own.
 */
const discovered = new Map<string, { config: oidc.Configuration; until: number }>();

export interface ProviderSettings {
  organisationId: string;
  organisationName: string;
  issuer: string;
  clientId: string;
  updatedAt: string;
}

export async function providerConfiguration(
  ctx: ServerContext,
  settings: ProviderSettings,
): Promise<oidc.Configuration> {
  const cacheKey = `${settings.organisationId}:${settings.updatedAt}`;
  const cached = discovered.get(cacheKey);
  if (cached && cached.until > Date.now()) return cached.config;
  const secret = await ctx.secrets.getText(ctx.db, clientSecretRef(settings.organisationId));
  if (secret === undefined) throw new SsoUnreachableError(settings.organisationName);
  const issuer = new URL(settings.issuer);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(issuer, settings.clientId, secret, undefined, {
      timeout: requestTimeoutSeconds,
      ...(issuer.protocol === 'http:' && isLoopbackUrl(issuer)
        ? // The provider is on this machine: nothing on the network to protect the request from.
          // eslint-disable-next-line @typescript-eslint/no-deprecated
          { execute: [oidc.allowInsecureRequests] }
        : {}),
    });
  } catch {
    throw new SsoUnreachableError(settings.organisationName);
  }
  for (const key of discovered.keys()) {
    if (key.startsWith(`${settings.organisationId}:`)) discovered.delete(key);
  }
  discovered.set(cacheKey, { config, until: Date.now() + discoveryTtlMs });
  return config;
}

/** The provider's settings as stored, with the organisation's name for messages. */
export async function storedProvider(ctx: ServerContext, organisationId: string) {
  const [row, organisation] = await Promise.all([
    repo.providerOf(ctx.db, organisationId),
    repo.organisationName(ctx.db, organisationId),
  ]);
  if (!row || !organisation) return undefined;
  return { row, organisationName: organisation.name };
}
