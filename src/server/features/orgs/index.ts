export { createOrganisation } from './service.js';
export { acceptInvitations } from './invitations.js';
export { libraryPolicies } from './library-policies.js';
export { membersWithRoles, organisationName } from './repo.js';
