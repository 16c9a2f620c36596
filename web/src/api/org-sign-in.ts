import type { Organisation, OrganisationPolicies } from '../../../src/api/orgs.js';
import type { SsoSettings, SsoSettingsRequest } from '../../../src/api/sso.js';
import { request } from './client.js';

/** An organisation's sign-in settings and sign-in policies (docs/api.md, "Organisation sign-in"). */
export type { SsoSettings, SsoSettingsRequest } from '../../../src/api/sso.js';

export type SigninPolicies = Pick<OrganisationPolicies, 'requireSecondFactorFor' | 'stepUpMinutes'>;

const base = (orgId: string) => `/orgs/${encodeURIComponent(orgId)}`;

export const getOrganisation = (account: string, orgId: string) =>
  request<{ organisation: Organisation }>(base(orgId), { account });

export const getSsoSettings = (account: string, orgId: string) =>
  request<{ sso: SsoSettings }>(`${base(orgId)}/sign-in`, { account });

export const saveSsoSettings = (account: string, orgId: string, body: SsoSettingsRequest) =>
  request<{ sso: SsoSettings }>(`${base(orgId)}/sign-in`, { account, method: 'PUT', body });

export const claimDomain = (account: string, orgId: string, domain: string) =>
  request<{ sso: SsoSettings }>(`${base(orgId)}/sign-in/domains`, {
    account,
    method: 'POST',
    body: { domain },
  });

export const verifyDomain = (account: string, orgId: string, domain: string) =>
  request<{ sso: SsoSettings }>(
    `${base(orgId)}/sign-in/domains/${encodeURIComponent(domain)}/verify`,
    { account, method: 'POST' },
  );

export const removeDomain = (account: string, orgId: string, domain: string) =>
  request<{ sso: SsoSettings }>(`${base(orgId)}/sign-in/domains/${encodeURIComponent(domain)}`, {
    account,
    method: 'DELETE',
  });

export const getSigninPolicies = (account: string, orgId: string) =>
  request<{ policies: SigninPolicies }>(`${base(orgId)}/policies`, { account });

export const changeSigninPolicies = (account: string, orgId: string, body: SigninPolicies) =>
  request<{ policies: SigninPolicies }>(`${base(orgId)}/policies`, {
    account,
    method: 'PATCH',
    body,
  });
