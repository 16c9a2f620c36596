import type { Config } from './config.js';
import { cookieIsSecure } from './browser-cookie.js';

/**
 * Strict for every response, the web app included (the API docs add one hash). The built app
 * loads one module script and one stylesheet from its own origin and talks only to /api, so
 * everything else can be refused. `img-src data:` is for the TOTP QR code, drawn in the page;
 * `blob:` for downloads of recovery files and sheets.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The headers every response carries. They never change while the server runs, so they are
 * built once here (a middleware rebuilding them per request cost a tenth of a small request).
 */
export function securityHeaders(config: Config): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    // The old XSS auditor did more harm than good; 0 switches it off in browsers that have it.
    'x-xss-protection': '0',
    ...(cookieIsSecure(config) ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
