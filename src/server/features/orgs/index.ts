export { createOrganisation } from './service.js';
export { acceptInvitations } from './invitations.js';
export { libraryPolicies } from './library-policies.js';
export { orgParams } from './schema.js';
export { requireSecondFactorPolicy, stepUpMinutesOf } from './signin-policies.js';
export { SigninPolicyCache } from './signin-policy-cache.js';
export { organisationsOfUser } from './repo.js';
export {
  insertMembership,
  membersWithRoles,
  organisationName,
  updateMembershipRole,
} from './repo.js';
