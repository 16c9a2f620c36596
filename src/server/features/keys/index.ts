/**
 * What other features use of the key library: reading keys (never their passwords) for the
 * vault's contents and "find my key". Everything else stays inside the feature.
 */
export { filesInVault } from './files-repo.js';
export { minimumKeyIdPrefix } from './list-keys.js';
export { prefixSuccessor } from './normalize.js';
export { keysInVault, listKeysInProtectorRange } from './search-repo.js';
export { keyDisplayName, keySummary, type KeySummary } from './summary.js';
