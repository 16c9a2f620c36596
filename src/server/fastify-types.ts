import type {} from '@fastify/cookie';
import type { KnownBrowser } from './browser-directory.js';
import type { Caller } from './caller.js';
import type { ServerContext } from './context.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's shared services (database, keys, audit log, limits). */
    keyhold: ServerContext;
  }
  interface FastifyRequest {
    /** The browser behind the cookie; set for every /api request, null without one. */
    browser: KnownBrowser | null;
    /** Set by the `requireAccount` preHandler. */
    caller: Caller | null;
  }
}
