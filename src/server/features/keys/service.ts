/**
 * The key library's operations, one concern per module; the routes call them through here.
 */
export * from './add-key.js';
export * from './key-backups.js';
export * from './key-lifecycle.js';
export * from './list-keys.js';
export * from './reveal-key.js';
