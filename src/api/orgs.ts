import { z } from 'zod';
import { plainText } from './plain-text.js';

/** What a member may do in an organisation, from most to least. */
export const membershipRoles = ['owner', 'admin', 'helpdesk', 'member', 'auditor'] as const;
export type MembershipRole = (typeof membershipRoles)[number];

const role = z.enum(membershipRoles);

export const organisation = z
  .object({ id: z.string(), name: z.string(), role, createdAt: z.string() })
  .meta({ id: 'Organisation' });

export const member = z
  .object({
    accountId: z.string(),
    email: z.string(),
    displayName: z.string(),
    role,
    addedAt: z.string(),
  })
  .meta({ id: 'Member' });

export const orgParams = z.object({ orgId: z.uuid() });
export const memberParams = z.object({ orgId: z.uuid(), accountId: z.uuid() });

export const createOrganisationBody = z.object({
  name: plainText(z.string().trim().min(1, 'enter a name').max(100)),
});
export const addMemberBody = z.object({
  email: z.string().trim().max(254).pipe(z.email('enter the email of their Keyhold account')),
  role,
});
export const changeRoleBody = z.object({ role });

export const organisationResponse = z.object({ organisation });
export const organisationsResponse = z.object({ organisations: z.array(organisation) });
export const memberResponse = z.object({ member });

/** An address invited to the organisation; it becomes a member once its account is confirmed. */
export const invitation = z
  .object({
    id: z.string(),
    email: z.string(),
    role,
    /** The account that sent the invitation; null once that account is deleted. */
    invitedBy: z
      .object({ accountId: z.string(), displayName: z.string(), email: z.string() })
      .nullable(),
    invitedAt: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: 'Invitation' });
export const invitationResponse = z.object({ invitation });
export const invitationsResponse = z.object({ invitations: z.array(invitation) });
export const invitationParams = z.object({ orgId: z.uuid(), invitationId: z.uuid() });
export type Invitation = z.output<typeof invitation>;
export const membersResponse = z.object({ members: z.array(member) });

export type Organisation = z.output<typeof organisation>;
export type Member = z.output<typeof member>;
export const libraryPolicies = z
  .object({
    selfServiceReveal: z.boolean().describe('Members may reveal the keys of their own devices'),
    requireApproval: z
      .boolean()
      .describe("A helpdesk reveal waits for an admin's or a second helpdesk person's approval"),
    approvalLifetimeHours: z
      .number()
      .int()
      .min(1)
      .max(720)
      .describe('An approved reveal lapses this many hours after the approval (24 by default)'),
    notifyAssignee: z.boolean().describe('The person a device is assigned to is told of a reveal'),
    notifyAdmins: z
      .boolean()
      .describe("The organisation's owners and admins are emailed about every reveal"),
    ensureRecoveryPassword: z
      .boolean()
      .describe(
        'Enrolled devices add a recovery password to an OS or fixed drive that has none (off: the drive is reported as uncovered)',
      ),
  })
  .meta({ id: 'LibraryPolicies' });
// Sign-in policies, kept as a block of their own within the organisation's policies.
export const secondFactorRoles = ['owner', 'admin', 'helpdesk'] as const;
export type SecondFactorRole = (typeof secondFactorRoles)[number];
export const signinPolicyFields = {
  requireSecondFactorFor: z
    .array(z.enum(secondFactorRoles))
    .max(3)
    .describe('Roles that need a second factor (TOTP or passkey) to use the library'),
  stepUpMinutes: z
    .number()
    .int()
    .min(1, 'enter at least 1 minute')
    .max(1440, 'enter at most 1440 minutes (a day)')
    .nullable()
    .describe(
      "Minutes after sign-in within which a reveal needs no new proof of presence; null: the server's setting (15 unless changed)",
    ),
};

export const changePoliciesBody = libraryPolicies.extend(signinPolicyFields).partial();
export const policiesResponse = z.object({
  policies: libraryPolicies.extend(signinPolicyFields),
});
export type LibraryPolicies = z.output<typeof libraryPolicies>;
export type OrganisationPolicies = z.output<typeof policiesResponse>['policies'];
/** What GET and PATCH /api/v1/orgs/:orgId/policies answer. */
export type PoliciesAnswer = z.output<typeof policiesResponse>;
