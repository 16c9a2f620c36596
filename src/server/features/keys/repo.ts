/**
 * The key library's queries, one concern per module: keys one at a time, lists and search,
 * uploaded files, purging the bin.
 */
export * from './files-repo.js';
export * from './keys-repo.js';
export * from './purge-repo.js';
export * from './search-repo.js';
