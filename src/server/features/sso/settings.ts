import type { SsoSettings, SsoSettingsRequest } from '../../../api/sso.js';
import { isUniqueViolation } from '../../../db/errors.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../errors.js';
import { clientSecretRef, isLoopbackUrl } from './provider.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

class OwnersOnlyError extends DomainError {
  constructor() {
    super(403, 'forbidden', {
      en: 'Only an owner of the organisation can change how its people sign in.',
      nb: 'Bare en eier av organisasjonen kan endre hvordan folkene der logger på.',
    });
  }
}

/** Sign-in settings are the owners' alone: they decide who can get into the whole library. */
function requireOwner(caller: Caller, organisationId: string): void {
  const role = caller.memberships.get(organisationId);
  if (role === undefined) throw new NotFoundError(things.organisation);
  if (role !== 'owner') throw new OwnersOnlyError();
}

/**
 * Addresses anyone can get: no organisation may claim them, or its provider would take over
 * the sign-in of strangers.
 */
const sharedMailDomains = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'icloud.com',
  'me.com',
  'proton.me',
  'protonmail.com',
  'aol.com',
  'gmx.com',
  'gmx.net',
  'online.no',
  'live.no',
]);

export async function ssoSettings(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
): Promise<SsoSettings> {
  requireOwner(caller, organisationId);
  return settingsView(ctx, organisationId);
}

async function settingsView(ctx: ServerContext, organisationId: string): Promise<SsoSettings> {
  const [provider, domains, secret] = await Promise.all([
    repo.providerOf(ctx.db, organisationId),
    repo.domainsOf(ctx.db, organisationId),
    ctx.secrets.get(ctx.db, clientSecretRef(organisationId)),
  ]);
  return {
    configured: provider !== undefined,
    issuer: provider?.issuer ?? null,
    clientId: provider?.client_id ?? null,
    clientSecretSet: secret !== undefined,
    enabled: provider?.enabled === 1,
    requireSso: provider?.require_sso === 1,
    defaultRole:
      provider?.default_role === 'owner' ? 'admin' : (provider?.default_role ?? 'member'),
    groupsClaim: provider?.groups_claim ?? null,
    groupRoles: provider ? (JSON.parse(provider.group_roles) as SsoSettings['groupRoles']) : {},
    domains: domains.map((row) => ({
      domain: row.domain,
      verified: row.verified_at !== null,
      verifiedAt: row.verified_at,
    })),
  };
}

/** Sets the provider; the client secret is sealed and kept when left out. Audited, secret aside. */
export async function saveSsoSettings(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: SsoSettingsRequest,
): Promise<SsoSettings> {
  requireOwner(caller, organisationId);
  const issuer = new URL(input.issuer);
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackUrl(issuer))) {
    throw new ValidationError({
      en: 'The issuer must be an https:// address (plain http:// only for a provider on this machine).',
      nb: 'Utstederen må være en https://-adresse (vanlig http:// bare for en tjeneste på denne maskinen).',
    });
  }
  if (issuer.search !== '' || issuer.hash !== '') {
    throw new ValidationError({
      en: 'The issuer URL cannot have a query (?) or fragment (#): enter it as the provider names it.',
      nb: 'Utsteder-URL-en kan ikke ha spørring (?) eller fragment (#): skriv den slik tjenesten oppgir den.',
    });
  }
  const existing = await repo.providerOf(ctx.db, organisationId);
  const hasSecret = (await ctx.secrets.get(ctx.db, clientSecretRef(organisationId))) !== undefined;
  if (input.clientSecret === undefined && !hasSecret) {
    throw new ValidationError({
      en: 'Enter the client secret the provider gave for Keyhold.',
      nb: 'Skriv inn klienthemmeligheten tjenesten ga for Keyhold.',
    });
  }
  const at = ctx.now().toISOString();
  await ctx.database.transaction(async (trx) => {
    await repo.saveProvider(trx, {
      organisation_id: organisationId,
      issuer: input.issuer,
      client_id: input.clientId,
      enabled: input.enabled ? 1 : 0,
      require_sso: input.requireSso ? 1 : 0,
      default_role: input.defaultRole,
      groups_claim: input.groupsClaim ?? null,
      group_roles: JSON.stringify(input.groupRoles ?? {}),
      updated_at: at,
    });
    if (input.clientSecret !== undefined) {
      await ctx.secrets.put(trx, clientSecretRef(organisationId), input.clientSecret);
    }
    await ctx.audit.record(trx, caller, {
      action: 'sso_settings_changed',
      organisationId,
      details: {
        issuer: input.issuer,
        clientId: input.clientId,
        enabled: input.enabled,
        requireSso: input.requireSso,
        defaultRole: input.defaultRole,
        clientSecretChanged: input.clientSecret !== undefined,
        firstSetup: existing === undefined,
      },
    });
  });
  return settingsView(ctx, organisationId);
}

/**
 * Claims an email domain for the organisation. A domain belongs to one organisation at most (the
 * table's key), and stays unverified, so sign-in ignores it, until an owner confirms it.
 */
export async function claimDomain(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  domain: string,
): Promise<SsoSettings> {
  requireOwner(caller, organisationId);
  if (sharedMailDomains.has(domain)) {
    throw new ValidationError({
      en: `${domain} is a mail service anyone can sign up to, so no organisation can claim it. Enter your organisation's own domain.`,
      nb: `${domain} er en e-posttjeneste alle kan registrere seg hos, så ingen organisasjon kan gjøre krav på den. Skriv inn organisasjonens eget domene.`,
    });
  }
  const taken = new ConflictError({
    en: `${domain} is already claimed by an organisation. If it is yours, ask that organisation's owner to remove it first.`,
    nb: `${domain} er allerede gjort krav på av en organisasjon. Hvis det er deres, be eieren av den organisasjonen om å fjerne det først.`,
  });
  if (await repo.domainClaim(ctx.db, domain)) throw taken;
  try {
    await ctx.database.transaction(async (trx) => {
      await repo.insertDomain(trx, { domain, organisationId, at: ctx.now().toISOString() });
      await ctx.audit.record(trx, caller, {
        action: 'sso_domain_claimed',
        organisationId,
        details: { domain },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw taken;
    throw error;
  }
  return settingsView(ctx, organisationId);
}

/** An owner confirms the organisation holds the domain: from now on its addresses sign in here. */
export async function verifyDomain(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  domain: string,
): Promise<SsoSettings> {
  requireOwner(caller, organisationId);
  await ctx.database.transaction(async (trx) => {
    const marked = await repo.markDomainVerified(trx, {
      domain,
      organisationId,
      userId: caller.accountId,
      at: ctx.now().toISOString(),
    });
    if (!marked) throw new NotFoundError(things.domain);
    await ctx.audit.record(trx, caller, {
      action: 'sso_domain_verified',
      organisationId,
      details: { domain },
    });
  });
  return settingsView(ctx, organisationId);
}

export async function removeDomain(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  domain: string,
): Promise<SsoSettings> {
  requireOwner(caller, organisationId);
  await ctx.database.transaction(async (trx) => {
    if (!(await repo.deleteDomain(trx, domain, organisationId))) {
      throw new NotFoundError(things.domain);
    }
    await ctx.audit.record(trx, caller, {
      action: 'sso_domain_removed',
      organisationId,
      details: { domain },
    });
  });
  return settingsView(ctx, organisationId);
}
