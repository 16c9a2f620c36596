/** The requests and responses of this feature are part of the API contract (src/api). */
export * from '../../../api/device-auth.js';

/**
 * Clients that may ask, by id, with the program name people see; a public client, so the id
 * names it rather than proving anything. A Map, so only these ids match: an object would also
 * answer `constructor`, `__proto__` or `toString` through its prototype.
 */
export const knownClients: ReadonlyMap<string, string> = new Map([['keyhold-cli', 'Keyhold CLI']]);
