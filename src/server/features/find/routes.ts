import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sessionCallerOf } from '../../caller.js';
import { findQuery, findResponse } from './schema.js';
import { findKey } from './service.js';

export function findRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/find',
    {
      config: { access: 'browser' },
      schema: {
        tags: ['Find my key'],
        summary: 'Which accounts signed in to this browser hold a key with this Key ID prefix',
        querystring: findQuery,
        response: { 200: findResponse },
      },
    },
    (request) => findKey(ctx, sessionCallerOf(request), request.query.keyId),
  );
}
