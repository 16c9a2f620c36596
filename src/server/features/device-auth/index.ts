export { refuseToken, tokenCallerFor } from './bearer.js';
export { revokeAllTokensOfUser } from './service.js';
export { keysScope } from './schema.js';
