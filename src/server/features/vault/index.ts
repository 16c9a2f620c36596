export { confirmPresence, requireOpenVault, type PresenceProof } from './service.js';
