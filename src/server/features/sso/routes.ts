import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { setBrowserCookie, ssoBindingOf } from '../../browser-cookie.js';
import { callerOf } from '../../caller.js';
import { requestInfo } from '../../request-info.js';
import { orgParams } from '../orgs/index.js';
import { finishSsoSignin } from './callback.js';
import {
  ssoCallbackBody,
  ssoDomainBody,
  ssoDomainParams,
  ssoSettingsBody,
  ssoSettingsResponse,
  ssoSignedInResponse,
} from './schema.js';
import {
  claimDomain,
  removeDomain,
  saveSsoSettings,
  ssoSettings,
  verifyDomain,
} from './settings.js';

const tags = ['Organisation sign-in'];

export function ssoRoutes(app: FastifyInstance): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.keyhold;

  routes.post(
    '/api/v1/auth/sso/callback',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary:
          "Finish a sign-in at an organisation's provider with the parameters it sent the browser back with",
        body: ssoCallbackBody,
        response: { 200: ssoSignedInResponse },
      },
    },
    async (request, reply) => {
      const result = await finishSsoSignin(ctx, request.browser, requestInfo(request), {
        parameters: request.body.parameters,
        browserBinding: ssoBindingOf(request),
      });
      setBrowserCookie(reply, ctx.config, result.browserToken);
      return {
        status: result.status,
        account: result.account,
        csrfToken: result.csrfToken,
        next: result.next,
      };
    },
  );

  routes.get(
    '/api/v1/orgs/:orgId/sign-in',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The organisation's sign-in settings (owners); the client secret is never shown",
        params: orgParams,
        response: { 200: ssoSettingsResponse },
      },
    },
    async (request) => ({
      sso: await ssoSettings(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.put(
    '/api/v1/orgs/:orgId/sign-in',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "Set the organisation's OpenID provider (owners)",
        params: orgParams,
        body: ssoSettingsBody,
        response: { 200: ssoSettingsResponse },
      },
    },
    async (request) => ({
      sso: await saveSsoSettings(ctx, callerOf(request), request.params.orgId, request.body),
    }),
  );

  routes.post(
    '/api/v1/orgs/:orgId/sign-in/domains',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Claim an email domain for the organisation (owners); it starts unverified',
        params: orgParams,
        body: ssoDomainBody,
        response: { 201: ssoSettingsResponse },
      },
    },
    async (request, reply) => {
      const sso = await claimDomain(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.body.domain,
      );
      return reply.status(201).send({ sso });
    },
  );

  routes.post(
    '/api/v1/orgs/:orgId/sign-in/domains/:domain/verify',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Confirm, as an owner, that the organisation holds the domain',
        params: ssoDomainParams,
        response: { 200: ssoSettingsResponse },
      },
    },
    async (request) => ({
      sso: await verifyDomain(ctx, callerOf(request), request.params.orgId, request.params.domain),
    }),
  );

  routes.delete(
    '/api/v1/orgs/:orgId/sign-in/domains/:domain',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "Give up the organisation's claim on a domain (owners)",
        params: ssoDomainParams,
        response: { 200: ssoSettingsResponse },
      },
    },
    async (request) => ({
      sso: await removeDomain(ctx, callerOf(request), request.params.orgId, request.params.domain),
    }),
  );
}
