import { z } from 'zod';
import { account } from './auth.js';

/** Roles an organisation's provider may give; owners are only ever made by hand. */
export const ssoRoles = ['admin', 'helpdesk', 'member', 'auditor'] as const;
const ssoRole = z.enum(ssoRoles);

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'enter a domain name like example.org, without @ or https://',
  );

export const ssoDomain = z
  .object({
    domain: z.string(),
    verified: z.boolean(),
    verifiedAt: z.string().nullable(),
  })
  .meta({ id: 'SsoDomain' });

export const ssoSettings = z
  .object({
    configured: z.boolean().describe('Whether a provider has been set up at all'),
    issuer: z.string().nullable(),
    clientId: z.string().nullable(),
    clientSecretSet: z.boolean().describe('The client secret itself is never returned'),
    enabled: z.boolean(),
    requireSso: z
      .boolean()
      .describe('Members with an email on a verified domain sign in through the provider only'),
    defaultRole: ssoRole,
    groupsClaim: z.string().nullable(),
    groupRoles: z.record(z.string(), ssoRole),
    domains: z.array(ssoDomain),
  })
  .meta({ id: 'SsoSettings' });

const httpUrl = z
  .string()
  .trim()
  .max(500)
  .pipe(z.url('enter the issuer URL, like https://login.example.org'));

export const ssoSettingsBody = z.object({
  issuer: httpUrl,
  clientId: z.string().trim().min(1, 'enter the client ID').max(500),
  clientSecret: z
    .string()
    .min(1, 'enter the client secret')
    .max(2000)
    .optional()
    .describe('Needed the first time; leave out to keep the stored one'),
  enabled: z.boolean(),
  requireSso: z.boolean(),
  defaultRole: ssoRole,
  groupsClaim: z.string().trim().min(1).max(100).nullable().optional(),
  groupRoles: z.record(z.string().trim().min(1).max(200), ssoRole).optional(),
});

export const ssoDomainBody = z.object({ domain: domainName });
// A domain the organisation claimed; any other text is simply not found.
export const ssoDomainParams = z.object({
  orgId: z.uuid(),
  domain: z.string().trim().toLowerCase().max(253),
});
export const ssoSettingsResponse = z.object({ sso: ssoSettings });

export const ssoCallbackBody = z.object({
  parameters: z
    .string()
    .max(8192)
    .describe('The query string the provider sent the browser back with (code, state, iss)'),
});
export const ssoSignedInResponse = z.object({
  status: z.literal('signed_in'),
  account,
  csrfToken: z.string(),
  next: z.string().nullable().describe('Where in the web app the sign-in started'),
});

export type SsoSettings = z.output<typeof ssoSettings>;
export type SsoSettingsRequest = z.input<typeof ssoSettingsBody>;
export type SsoSignedIn = z.output<typeof ssoSignedInResponse>;
export type SsoRole = (typeof ssoRoles)[number];
