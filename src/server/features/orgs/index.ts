export { createOrganisation } from './service.js';
export { libraryPolicies } from './library-policies.js';
export { organisationsOfUser } from './repo.js';
