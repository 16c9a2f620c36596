import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual, sha256Hex } from '../crypto/tokens.js';
import type { Config } from './config.js';
import { CsrfError } from './errors.js';

export const csrfHeader = 'x-keyhold-csrf';
export const accountHeader = 'x-keyhold-account';

/** The cookie outlives sessions so the picker can offer "signed out" accounts again. */
const cookieMaxAgeSeconds = 400 * 86_400;

/**
 * Secure cookies everywhere except plain HTTP on a loopback address (the config refuses plain
 * HTTP anywhere else), where browsers would drop a Secure cookie. `__Host-` requires Secure.
 */
export function cookieIsSecure(config: Config): boolean {
  if (config.tlsCert || config.behindProxy) return true;
  return config.publicUrl?.startsWith('https:') ?? false;
}

/**
 * The one cookie a browser holds (see docs/api.md, "One browser, several accounts"). Its token
 * names a `browsers` row; the sessions of every account signed in there hang off that row.
 */
export function browserCookieName(config: Config): string {
  return cookieIsSecure(config) ? '__Host-keyhold-browser' : 'keyhold-browser';
}

export function setBrowserCookie(reply: FastifyReply, config: Config, token: string): void {
  void reply.setCookie(browserCookieName(config), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(config),
    maxAge: cookieMaxAgeSeconds,
  });
}

function clearBrowserCookie(reply: FastifyReply, config: Config): void {
  void reply.clearCookie(browserCookieName(config), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(config),
  });
}

/** The browser cookie's token as sent, if any. */
export function browserToken(request: FastifyRequest, config: Config): string | undefined {
  const token = request.cookies[browserCookieName(config)];
  return token && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? token : undefined;
}

/** Finds the browser behind the cookie; an unknown cookie is dropped from the browser. */
export async function loadBrowser(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { config, browsers } = request.server.keyhold;
  request.browser = null;
  const token = browserToken(request, config);
  if (token === undefined) {
    if (request.cookies[browserCookieName(config)] !== undefined) clearBrowserCookie(reply, config);
    return;
  }
  const browser = await browsers.find(sha256Hex(token));
  if (!browser) {
    clearBrowserCookie(reply, config);
    return;
  }
  request.browser = browser;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The origin the web app is served from: the public URL when configured, else this request's own. */
export function expectedOrigin(request: FastifyRequest, config: Config): string {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  return `${request.protocol}://${request.host}`;
}

/**
 * CSRF defence for changes (docs/api.md, "CSRF protection"): browsers' own Origin and
 * Sec-Fetch-Site headers must not point elsewhere, and a request that carries the browser cookie
 * must also carry the browser's CSRF token, which other sites cannot read.
 */
export function enforceCsrf(request: FastifyRequest): void {
  if (!unsafeMethods.has(request.method)) return;
  const { config } = request.server.keyhold;
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') throw new CsrfError();
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== expectedOrigin(request, config)) throw new CsrfError();
  // Without a (known) browser cookie there is no session to ride on.
  if (!request.browser) return;
  const sent = request.headers[csrfHeader];
  if (typeof sent !== 'string' || !constantTimeEqual(sent, request.browser.csrfToken)) {
    throw new CsrfError();
  }
}

/**
 * The cookie that ties a sign-in at an organisation's provider to the browser that started it:
 * the provider's answer is only taken with the same value (docs/api.md, "Organisation sign-in").
 */
function ssoBindingCookieName(config: Config): string {
  return cookieIsSecure(config) ? '__Host-keyhold-sso' : 'keyhold-sso';
}

const ssoBindingMaxAgeSeconds = 15 * 60;

export function ssoBindingOf(request: FastifyRequest): string | undefined {
  const value = request.cookies[ssoBindingCookieName(request.server.keyhold.config)];
  return value && /^[A-Za-z0-9_-]{40,100}$/.test(value) ? value : undefined;
}

export function setSsoBinding(reply: FastifyReply, config: Config, value: string): void {
  void reply.setCookie(ssoBindingCookieName(config), value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(config),
    maxAge: ssoBindingMaxAgeSeconds,
  });
}

/** Where organisation providers send people back: a page of the web app, on this origin. */
export function ssoRedirectUri(request: FastifyRequest, config: Config): string {
  // Normalised (no default port), so it reads the same when the code is exchanged.
  return new URL('/sign-in/sso', expectedOrigin(request, config)).href;
}
