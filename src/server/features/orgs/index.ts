export { createOrganisation } from './service.js';
export { libraryPolicies } from './library-policies.js';
export { orgParams } from './schema.js';
export { requireSecondFactorPolicy, stepUpMinutesOf } from './signin-policies.js';
export { organisationsOfUser } from './repo.js';
