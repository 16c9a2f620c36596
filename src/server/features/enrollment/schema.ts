/** The enrollment feature's schemas: its area of the API contract. */
export * from '../../../api/enrollment.js';
export { orgParams } from '../../../api/orgs.js';
