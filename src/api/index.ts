/**
 * The Keyhold API contract: the zod schemas of every request and response, and their types.
 * The server validates and serializes with them (and documents them as OpenAPI); the web app,
 * the CLI and the tests type what they send and read with them. Node-free: only zod and pure
 * text rules, so the browser bundle can import it too.
 */
export * from './approvals.js';
export * from './audit.js';
export * from './auth.js';
export * from './device-auth.js';
export * from './enrollment.js';
export * from './errors.js';
export * from './feedback.js';
export * from './find.js';
export * from './keys.js';
export * from './orgs.js';
export * from './plain-text.js';
export * from './sso.js';
export * from './vault.js';
