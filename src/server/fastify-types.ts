import type {} from '@fastify/cookie';
import type { KnownBrowser } from './browser-directory.js';
import type { Caller } from './caller.js';
import type { ServerContext } from './context.js';
import type { DeviceCaller } from './features/enrollment/index.js';
import type { DeclaredRoute, RouteAccess, TokenScope } from './route-access.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's shared services (database, keys, audit log, limits). */
    keyhold: ServerContext;
    /** Every route with the access it declared (route-access.ts). */
    declaredRoutes: readonly DeclaredRoute[];
    /** Set on a scope whose routes come from a third-party plugin (route-access.ts). */
    accessOfPluginRoutes?: RouteAccess;
  }
  interface FastifyContextConfig {
    /** Who may call the route; route-access.ts installs the check and the OpenAPI security. */
    access: RouteAccess;
    /** On a route a token may call: what the token must have been granted. */
    scope?: TokenScope;
  }
  interface FastifyRequest {
    /** The browser behind the cookie; set for every /api request, null without one. */
    browser: KnownBrowser | null;
    /** Set by the route's access check (route-access.ts); null on public routes. */
    caller: Caller | null;
    /** The enrolled device of a route declared `access: 'device'`; null elsewhere. */
    device: DeviceCaller | null;
  }
}
