import fastifyCookie from '@fastify/cookie';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enforceCsrf, loadBrowser } from './browser-cookie.js';
import type { Config } from './config.js';
import { createServerContext, type ServerContext } from './context.js';
import { handleError, NotFoundError } from './errors.js';
import {
  enforceHost,
  hostAllowList,
  limitConnectionsPerAddress,
  proxyTrust,
  serverTimeouts,
  tlsSettings,
} from './http-edge.js';
import { auditRoutes } from './features/audit/routes.js';
import { authRoutes } from './features/auth/routes.js';
import { deviceAuthRoutes } from './features/device-auth/routes.js';
import { enrollmentRoutes } from './features/enrollment/routes.js';
import { feedbackRoutes } from './features/feedback/routes.js';
import { findRoutes } from './features/find/routes.js';
import { keyRoutes } from './features/keys/routes.js';
import { organisationRoutes } from './features/orgs/routes.js';
import { ssoRoutes } from './features/sso/routes.js';
import { vaultRoutes } from './features/vault/routes.js';
import { startJobs } from './jobs.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { readinessRoute } from './readiness.js';
import { serverLogging } from './request-log.js';
import { responseSerializerCompiler } from './response-serializer.js';
import { installRouteAccess } from './route-access.js';
import { securityHeaders } from './security-headers.js';
import { registerWebApp } from './web.js';
import './fastify-types.js';
import { things } from './messages.js';

export interface AppOptions {
  config: Config;
  /** Tests bring their own (database, clock); otherwise one is created and closed with the app. */
  context?: ServerContext;
  /** Tests pass a stream to read the log; by default logs go to stdout. */
  logStream?: NodeJS.WritableStream;
  https?: { cert: Buffer; key: Buffer };
  /**
   * Where the built web app lives (src/server/web.ts); tests point it elsewhere. The web app is
   * always part of the app, so every test runs against the composition `keyhold serve` answers.
   */
  webRoot?: string;
}

/** Request bodies are small JSON documents; anything bigger is refused before parsing. */
export const bodyLimitBytes = 64 * 1024;

export async function buildApp({
  config,
  context,
  logStream,
  https,
  webRoot,
}: AppOptions): Promise<FastifyInstance> {
  const ctx = context ?? (await createServerContext(config));
  const headers = securityHeaders(config);
  const timeouts = serverTimeouts(config);
  // The https variant only changes the server type, not anything the app registers.
  const app = (Fastify as (options: object) => FastifyInstance)({
    ...(https ? { https: { ...https, ...tlsSettings, ...timeouts } } : { http: timeouts }),
    requestTimeout: timeouts.requestTimeout,
    ...serverLogging(config.logLevel, logStream, config.logFormat),
    trustProxy: proxyTrust(config),
    bodyLimit: bodyLimitBytes,
    // A path Fastify cannot decode is refused before routing, in its own English and shape
    // unless it is handed to the one error handler. No onRequest hook runs for it, so the
    // answer gets the headers every other answer has here.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.headers(headers).header('cache-control', 'no-store');
      handleError(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();
  limitConnectionsPerAddress(app.server, config);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(() => {
    throw new NotFoundError(things.page);
  });
  // Plain-text bodies are what cross-site forms can send without a preflight: JSON only.
  app.removeContentTypeParser('text/plain');

  app.decorate('keyhold', ctx);
  app.decorateRequest('browser', null);
  app.decorateRequest('caller', null);
  app.decorateRequest('device', null);
  if (!context) app.addHook('onClose', () => ctx.close());
  // Before any route, so every route's declared access becomes its check.
  installRouteAccess(app);

  await app.register(fastifyCookie);
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
  app.addHook('onRequest', enforceHost(hostAllowList(config, https?.cert)));
  await registerOpenApi(app, config);

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    // Answers name accounts, sessions, keys and secrets: none belongs in a browser's disk cache.
    void reply.header('cache-control', 'no-store');
    await loadBrowser(request, reply);
    enforceCsrf(request);
  });

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    () => ({ status: 'ok' as const }),
  );
  readinessRoute(app);
  if (config.metricsListen) registerMetrics(app, ctx, config.metricsListen);
  authRoutes(app);
  auditRoutes(app);
  organisationRoutes(app);
  ssoRoutes(app);
  await keyRoutes(app);
  vaultRoutes(app);
  findRoutes(app);
  feedbackRoutes(app);
  await deviceAuthRoutes(app);
  enrollmentRoutes(app);
  await registerWebApp(app, webRoot ? { root: webRoot } : {});

  startJobs(app);
  await app.ready();
  return app;
}
