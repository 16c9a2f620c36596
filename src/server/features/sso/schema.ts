/** The requests and responses of this feature are part of the API contract (src/api). */
export * from '../../../api/sso.js';
