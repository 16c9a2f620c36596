/**
 * What others use of the key library: reading keys (never their passwords) for the vault's
 * contents and "find my key", the retention job, and the row shapes the server bench seeds.
 * Everything else stays inside the feature.
 */
export {
  deviceForEnrollment,
  escrowDeviceKeys,
  keysToRotate,
  organisationMember,
  type EscrowDrive,
  type EscrowKey,
} from './device-escrow.js';
export { filesInVault } from './files-repo.js';
export { minimumKeyIdPrefix } from './list-keys.js';
export { nameTerms, normalizeName, prefixSuccessor } from './normalize.js';
export { recoveryPasswordKind } from './repo.js';
export { purgeExpiredKeys } from './retention.js';
export { keysInVault, listKeysByKeyIdOrLuksUuid } from './search-repo.js';
export { keyDisplayName, keySummary, type KeySummary } from './summary.js';
