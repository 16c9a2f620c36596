import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { accountHeader, browserCookieName, csrfHeader } from './browser-cookie.js';
import type { Config } from './config.js';

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
          browserCookie: { type: 'apiKey', in: 'cookie', name: browserCookieName(config) },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    uiConfig: { docExpansion: 'list', deepLinking: false },
  });
}
