import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, tokenCallerOf } from '../../caller.js';
import { requestInfo } from '../../request-info.js';
import type { ServerContext } from '../../context.js';
import { handleError, validationFailure } from '../../errors.js';
import { requestLanguage } from '../../messages.js';
import { tokenHolderOf } from './bearer.js';
import {
  approveBody,
  approveResponse,
  authorizeBody,
  authorizeResponse,
  currentTokenResponse,
  deviceRequestResponse,
  oauthErrorResponse,
  tokenBody,
  tokenResponse,
  tokensResponse,
  userCodeBody,
} from './schema.js';
import * as deviceAuth from './service.js';

const tags = ['Device sign-in and tokens'];
const oauthErrors = {
  400: oauthErrorResponse.describe('RFC 6749 error: authorization_pending, slow_down, ...'),
  401: oauthErrorResponse,
};

/** The address people open to approve a device: the web app's "Connect a device" page. */
function verificationUri(ctx: ServerContext, request: FastifyRequest): string {
  const base = ctx.config.publicUrl
    ? new URL(ctx.config.publicUrl).origin
    : `${request.protocol}://${request.host}`;
  return `${base}/connect-device`;
}

/** OAuth clients read `{"error","error_description"}`; everything else uses the usual body. */
async function oauth<T>(request: FastifyRequest, reply: FastifyReply, work: () => Promise<T>) {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof deviceAuth.OAuthError)) throw error;
    return reply
      .status(error.status)
      .header('cache-control', 'no-store')
      .send({ error: error.error, error_description: error.description[requestLanguage(request)] });
  }
}

/**
 * The two RFC 8628 endpoints take JSON or, as OAuth clients send them, form-encoded bodies. They
 * use no cookie and act as no account, so a form post gains an attacker nothing.
 */
function oauthEndpoints(app: FastifyInstance, ctx: ServerContext): void {
  // A body the schema refuses is an OAuth invalid_request too, which is what OAuth clients read.
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    if (!hasZodFastifySchemaValidationErrors(error)) return handleError(error, request, reply);
    return reply
      .status(400)
      .header('cache-control', 'no-store')
      .send({
        error: 'invalid_request',
        error_description: validationFailure(error, requestLanguage(request)).message,
      });
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/api/v1/device/authorize',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Start signing in a device (RFC 8628 device authorization request)',
        description:
          'Answers the codes to show: the person opens verification_uri while signed in and enters user_code. client_id is "keyhold-cli"; scope "keys" (the only one).',
        body: authorizeBody,
        response: { 200: authorizeResponse, ...oauthErrors },
      },
    },
    (request, reply) =>
      oauth(request, reply, async () => {
        void reply.header('cache-control', 'no-store');
        return deviceAuth.authorize(
          ctx,
          requestInfo(request),
          request.body,
          verificationUri(ctx, request),
        );
      }),
  );

  routes.post(
    '/api/v1/device/token',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Poll for the token (RFC 8628 device access token request)',
        description:
          'grant_type urn:ietf:params:oauth:grant-type:device_code. Errors follow RFC 8628: authorization_pending, slow_down (add 5 s to the interval), access_denied, expired_token.',
        body: tokenBody.partial(),
        response: { 200: tokenResponse, ...oauthErrors },
      },
    },
    (request, reply) =>
      oauth(request, reply, async () => {
        void reply.header('cache-control', 'no-store');
        return deviceAuth.pollForToken(ctx, requestInfo(request), request.body);
      }),
  );
}

export async function deviceAuthRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.keyhold;
  // Encapsulated, so the form parser applies to the two OAuth endpoints only.
  await app.register((scope, _options, done) => {
    oauthEndpoints(scope, ctx);
    done();
  });
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/api/v1/device/lookup',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'What a user code would connect: shown before approving it',
        body: userCodeBody,
        response: { 200: deviceRequestResponse },
      },
    },
    async (request) => ({
      request: await deviceAuth.lookUp(ctx, callerOf(request), request.body.userCode),
    }),
  );

  routes.post(
    '/api/v1/device/approve',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Approve or deny a device for the selected account',
        body: approveBody,
        response: { 200: approveResponse },
      },
    },
    async (request) => ({
      status: await deviceAuth.decideRequest(ctx, callerOf(request), request.body),
    }),
  );

  routes.get(
    '/api/v1/auth/tokens',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The selected account's device tokens (keyhold login), newest first",
        response: { 200: tokensResponse },
      },
    },
    async (request) => ({ tokens: await deviceAuth.listTokens(ctx, callerOf(request)) }),
  );

  routes.delete(
    '/api/v1/auth/tokens/:id',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Revoke one device token of the selected account',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await deviceAuth.revokeToken(ctx, callerOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  routes.get(
    '/api/v1/device/token',
    {
      config: { access: 'token' },
      schema: {
        tags,
        summary: 'The token sent as Authorization: Bearer, and its account (keyhold whoami)',
        response: { 200: currentTokenResponse },
      },
    },
    (request) => tokenHolderOf(request),
  );

  routes.delete(
    '/api/v1/device/token',
    {
      config: { access: 'token' },
      schema: {
        tags,
        summary: 'Revoke the token sent as Authorization: Bearer (keyhold logout)',
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const caller = tokenCallerOf(request);
      await deviceAuth.revokeToken(ctx, caller, caller.tokenId);
      return reply.status(204).send(null);
    },
  );
}
