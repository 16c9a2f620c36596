export { createOrganisation } from './service.js';
export { acceptInvitations } from './invitations.js';
export { libraryPolicies } from './library-policies.js';
export { membersWithRoles, organisationName } from './repo.js';
export { orgParams } from './schema.js';
export { requireSecondFactorPolicy, stepUpMinutesOf } from './signin-policies.js';
