export { requireKeyToken } from './bearer.js';
export { revokeAllTokensOfUser } from './service.js';
