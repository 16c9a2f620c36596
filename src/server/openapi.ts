import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBody } from '../api/errors.js';
import { accountHeader, browserCookieName, csrfHeader } from './browser-cookie.js';
import type { Config } from './config.js';
import { declareAccessOfPluginRoutes, securitySchemes } from './route-access.js';
import { contentSecurityPolicy } from './security-headers.js';

/**
 * The web app's strict policy, plus the one inline style Swagger UI's bundle writes at runtime
 * (allowed by its hash, not by 'unsafe-inline'; the browser test notices if an upgrade changes it).
 */
const docsContentSecurityPolicy = contentSecurityPolicy.replace(
  "style-src 'self'",
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
);

/** Every error has this body (src/server/errors.ts); documented once for all routes. */
const errorJsonSchema = z.toJSONSchema(errorBody);

/**
 * The OpenAPI document is generated from the routes' zod schemas, so it cannot drift from what
 * the server validates and sends. JSON at /api/docs/json, a browsable page at /api/docs.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyhold API',
        version: '1',
        description:
          'Escrow for BitLocker recovery keys. Authentication, account selection ' +
          `(\`${accountHeader}\`), CSRF (\`${csrfHeader}\`), errors and rate limits are explained ` +
          'in docs/api.md.',
      },
      ...(config.publicUrl ? { servers: [{ url: config.publicUrl }] } : {}),
      components: {
        securitySchemes: {
          [securitySchemes.browserCookie]: {
            type: 'apiKey',
            in: 'cookie',
            name: browserCookieName(config),
          },
          [securitySchemes.bearerToken]: {
            type: 'http',
            scheme: 'bearer',
            description: 'A token from keyhold login (device sign-in, RFC 8628)',
          },
          [securitySchemes.deviceToken]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An access token of an enrolled device, issued for a signed challenge (RFC 7523)',
          },
        },
      },
    },
    transform: (route) => {
      // The web app's static files and page fallback are not part of the API: leaving them out
      // keeps the document to /api and spares the transform routes that have no schema at all.
      if (!route.url.startsWith('/api/')) return { url: route.url, schema: { hide: true } };
      const transformed = jsonSchemaTransform(route);
      const response = (transformed.schema.response ?? {}) as Record<string, unknown>;
      const withErrors = {
        ...response,
        '4XX': { description: 'An error; codes are listed in docs/api.md', ...errorJsonSchema },
      };
      return { ...transformed, schema: { ...transformed.schema, response: withErrors } };
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(async (docs) => {
    declareAccessOfPluginRoutes(docs, 'public');
    await docs.register(fastifySwaggerUi, {
      routePrefix: '/api/docs',
      staticCSP: docsContentSecurityPolicy,
      uiConfig: { docExpansion: 'list', deepLinking: false },
    });
  });
}
