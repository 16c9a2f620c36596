import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { sessionCallerFor } from './caller.js';
import { refuseToken, tokenCallerFor } from './features/device-auth/index.js';
import { deviceCallerFor } from './features/enrollment/index.js';
import type { keysScope } from './features/device-auth/index.js';

/**
 * Who may call a route, declared on the route as `config: { access }`:
 *
 * - `public`: anyone; the route acts as no account (signing in, the web app, health).
 * - `browser`: a person signed in in a browser (the browser cookie and one of its sessions).
 * - `browser-or-token`: that, or a device's bearer token from `keyhold login` holding `scope`.
 * - `token`: a bearer token only (the routes about the token itself).
 * - `device`: an enrolled device's short-lived access token (keyhold agent).
 */
export const routeAccessKinds = [
  'public',
  'browser',
  'browser-or-token',
  'token',
  'device',
] as const;
export type RouteAccess = (typeof routeAccessKinds)[number];

/** What a token can be granted; a route a token may call names the one it needs. */
export type TokenScope = typeof keysScope;

/** The OpenAPI security schemes (registered in openapi.ts). */
export const securitySchemes = {
  browserCookie: 'browserCookie',
  bearerToken: 'bearerToken',
  deviceToken: 'deviceToken',
} as const;

export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  scope: TokenScope | undefined;
}

function hasBearer(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined;
}

/** The check that runs before the route's handler and sets `request.caller`. */
function accessCheck(
  access: Exclude<RouteAccess, 'public'>,
  scope: TokenScope | undefined,
): preHandlerAsyncHookHandler {
  switch (access) {
    case 'browser':
      return async (request) => {
        if (hasBearer(request)) await refuseToken(request);
        request.caller = await sessionCallerFor(request);
      };
    case 'browser-or-token':
      return async (request) => {
        request.caller = hasBearer(request)
          ? await tokenCallerFor(request, scope)
          : await sessionCallerFor(request);
      };
    case 'token':
      return async (request) => {
        request.caller = await tokenCallerFor(request, scope);
      };
    case 'device':
      return async (request) => {
        request.device = await deviceCallerFor(request);
      };
  }
}

/** The route's OpenAPI `security`: any one of the listed schemes lets a client in. */
function securityOf(access: Exclude<RouteAccess, 'public'>, scope: TokenScope | undefined) {
  const cookie = { [securitySchemes.browserCookie]: [] };
  // For bearer schemes OpenAPI reads the list as the roles needed: here, the token's scope.
  const token = { [securitySchemes.bearerToken]: scope === undefined ? [] : [scope] };
  switch (access) {
    case 'browser':
      return [cookie];
    case 'browser-or-token':
      return [cookie, token];
    case 'token':
      return [token];
    case 'device':
      return [{ [securitySchemes.deviceToken]: [] }];
  }
}

/**
 * Routes that third-party plugins register (the API documentation pages, the web app's assets)
 * cannot carry our config; the scope they are registered in declares their access instead.
 */
export function declareAccessOfPluginRoutes(scope: FastifyInstance, access: RouteAccess): void {
  scope.accessOfPluginRoutes = access;
}

/**
 * The one place that turns each route's declared access into its check and its OpenAPI
 * `security`. Registered before any route; a route that declares no access stops the server
 * from starting. `app.declaredRoutes` lists every route with its access.
 */
export function installRouteAccess(app: FastifyInstance): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', function (route) {
    const access = route.config?.access ?? this.accessOfPluginRoutes;
    const methods = [route.method].flat().join(',');
    if (access === undefined) {
      throw new Error(`${methods} ${route.url} declares no access: give it config: { access }`);
    }
    const scope = route.config?.scope;
    route.config = { ...route.config, access };
    declared.push({ method: methods, url: route.url, access, scope });
    if (access === 'public') return;
    route.preHandler = [accessCheck(access, scope), ...[route.preHandler ?? []].flat()];
    route.schema = { ...route.schema, security: securityOf(access, scope) };
  });
}
