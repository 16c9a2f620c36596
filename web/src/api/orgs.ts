import type {
  Approval,
  ApprovalStateName,
  OrganisationRevealWithApproval,
} from '../../../src/api/approvals.js';
import type { OrganisationAuditPage, OrganisationAuditQuery } from '../../../src/api/audit.js';
import type {
  CoverageReport,
  DeviceDetail,
  DeviceRotated,
  DevicePage,
  KeyListQuery,
  KeyPage,
  KeySummary,
  OrganisationReveal,
  OrganisationRotated,
  RevealedKey,
  RevealReason,
} from '../../../src/api/keys.js';
import type {
  Invitation,
  LibraryPolicies,
  Member,
  MembershipRole,
  Organisation,
} from '../../../src/api/orgs.js';
import { download, request } from './client.js';

/**
 * Organisations and their key libraries (docs/api.md, "Organisations"); the shapes are the
 * server's contract (src/api). Every path is the personal library's under /orgs/:orgId.
 */
export type { Approval } from '../../../src/api/approvals.js';
export type { OrganisationAuditEvent } from '../../../src/api/audit.js';
export type { CoverageReport, DeviceDetail, RevealReason } from '../../../src/api/keys.js';
export type DeviceSummary = DevicePage['items'][number];
export type {
  Invitation,
  LibraryPolicies,
  Member,
  MembershipRole,
  Organisation,
} from '../../../src/api/orgs.js';

/**
 * The contract's lists, spelt out here so the app's bundle needs no zod; the `Record` types fail
 * the build when the server's lists gain or lose a name.
 */
const roleNames: Record<MembershipRole, true> = {
  owner: true,
  admin: true,
  helpdesk: true,
  member: true,
  auditor: true,
};
export const organisationRoles = Object.keys(roleNames) as MembershipRole[];

const reasonNames: Record<RevealReason, true> = {
  'pin-forgotten': true,
  'startup-key-lost': true,
  'tpm-or-firmware-change': true,
  'boot-configuration-change': true,
  'hardware-repair': true,
  'data-recovery': true,
  other: true,
};
export const revealReasons = Object.keys(reasonNames) as RevealReason[];

const org = (orgId: string) => `/orgs/${encodeURIComponent(orgId)}`;
const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export const listOrganisations = (account: string, signal?: AbortSignal) =>
  request<{ organisations: Organisation[] }>('/orgs', { account, ...withSignal(signal) });

export const createOrganisation = (account: string, name: string) =>
  request<{ organisation: Organisation }>('/orgs', { account, method: 'POST', body: { name } });

export const getOrganisation = (account: string, orgId: string) =>
  request<{ organisation: Organisation }>(org(orgId), { account });

export const listMembers = (account: string, orgId: string) =>
  request<{ members: Member[] }>(`${org(orgId)}/members`, { account });

/** An existing account is added at once; with mail on, an address without one is invited. */
export const addMember = (account: string, orgId: string, email: string, role: MembershipRole) =>
  request<{ member: Member } | { invitation: Invitation }>(`${org(orgId)}/members`, {
    account,
    method: 'POST',
    body: { email, role },
  });

export const listInvitations = (account: string, orgId: string) =>
  request<{ invitations: Invitation[] }>(`${org(orgId)}/invitations`, { account });

const invitation = (orgId: string, invitationId: string) =>
  `${org(orgId)}/invitations/${encodeURIComponent(invitationId)}`;

export const resendInvitation = (account: string, orgId: string, invitationId: string) =>
  request<{ invitation: Invitation }>(`${invitation(orgId, invitationId)}/resend`, {
    account,
    method: 'POST',
  });

export const revokeInvitation = (account: string, orgId: string, invitationId: string) =>
  request<unknown>(invitation(orgId, invitationId), { account, method: 'DELETE' });

export const changeMemberRole = (
  account: string,
  orgId: string,
  memberId: string,
  role: MembershipRole,
) =>
  request<{ member: Member }>(`${org(orgId)}/members/${encodeURIComponent(memberId)}`, {
    account,
    method: 'PATCH',
    body: { role },
  });

export const removeMember = (account: string, orgId: string, memberId: string) =>
  request<unknown>(`${org(orgId)}/members/${encodeURIComponent(memberId)}`, {
    account,
    method: 'DELETE',
  });

export const getPolicies = (account: string, orgId: string) =>
  request<{ policies: LibraryPolicies }>(`${org(orgId)}/policies`, { account });

export const changePolicies = (account: string, orgId: string, change: Partial<LibraryPolicies>) =>
  request<{ policies: LibraryPolicies }>(`${org(orgId)}/policies`, {
    account,
    method: 'PATCH',
    body: change,
  });

export const listOrganisationKeys = (
  account: string,
  orgId: string,
  query: Omit<KeyListQuery, 'cursor' | 'deleted'> & { cursor?: string | null },
  signal?: AbortSignal,
) =>
  request<KeyPage>(`${org(orgId)}/keys`, {
    account,
    query: { q: query.q, cursor: query.cursor ?? undefined, limit: query.limit },
    ...withSignal(signal),
  });

export const getOrganisationKey = (account: string, orgId: string, id: string) =>
  request<{ key: KeySummary }>(`${org(orgId)}/keys/${encodeURIComponent(id)}`, { account });

/** The key, or (when the organisation asks for approval) the request that now waits for it. */
export type RevealAnswer =
  ({ kind: 'revealed' } & RevealedKey) | { kind: 'waiting'; approvalId: string };

export async function revealOrganisationKey(
  account: string,
  orgId: string,
  id: string,
  body: OrganisationReveal | OrganisationRevealWithApproval,
): Promise<RevealAnswer> {
  const answer = await request<RevealedKey | { approvalId: string }>(
    `${org(orgId)}/keys/${encodeURIComponent(id)}/reveal`,
    { account, method: 'POST', body },
  );
  return 'approvalId' in answer
    ? { kind: 'waiting', approvalId: answer.approvalId }
    : { kind: 'revealed', ...answer };
}

export const listDevices = (
  account: string,
  orgId: string,
  cursor: string | null,
  signal?: AbortSignal,
) =>
  request<DevicePage>(`${org(orgId)}/devices`, {
    account,
    query: { cursor: cursor ?? undefined },
    ...withSignal(signal),
  });

export const getDevice = (account: string, orgId: string, id: string) =>
  request<{ device: DeviceDetail }>(`${org(orgId)}/devices/${encodeURIComponent(id)}`, {
    account,
  });

export const assignDevice = (
  account: string,
  orgId: string,
  id: string,
  assigneeEmail: string | null,
) =>
  request<{ device: DeviceDetail }>(`${org(orgId)}/devices/${encodeURIComponent(id)}`, {
    account,
    method: 'PATCH',
    body: { assigneeEmail },
  });

/** Marks the current key of each of the device's drives to be replaced (owners and admins). */
export const rotateDevice = (account: string, orgId: string, id: string) =>
  request<DeviceRotated>(`${org(orgId)}/devices/${encodeURIComponent(id)}/rotate`, {
    account,
    method: 'POST',
  });

/** Marks the current key of every drive in the organisation to be replaced. */
export const rotateOrganisation = (account: string, orgId: string) =>
  request<OrganisationRotated>(`${org(orgId)}/rotate`, { account, method: 'POST' });

export const listApprovals = (account: string, orgId: string, state?: ApprovalStateName) =>
  request<{ items: Approval[] }>(`${org(orgId)}/approvals`, {
    account,
    query: { state, limit: 100 },
  });

export const decideApproval = (
  account: string,
  orgId: string,
  id: string,
  decision: 'approve' | 'deny',
  note: string,
) =>
  request<{ approval: Approval }>(`${org(orgId)}/approvals/${encodeURIComponent(id)}/${decision}`, {
    account,
    method: 'POST',
    body: note ? { note } : {},
  });

/** The organisation audit's filters as the page keeps them: empty text means "any". */
export type AuditFilters = Record<
  keyof Pick<OrganisationAuditQuery, 'actor' | 'action' | 'device' | 'keyId' | 'from' | 'to'>,
  string
>;

function auditQuery(filters: AuditFilters) {
  return {
    actor: filters.actor.trim(),
    action: filters.action,
    device: filters.device.trim(),
    keyId: filters.keyId.trim(),
    from: filters.from,
    to: filters.to,
  };
}

export const listOrganisationAudit = (
  account: string,
  orgId: string,
  filters: AuditFilters,
  before: string | null,
  signal?: AbortSignal,
) =>
  request<OrganisationAuditPage>(`${org(orgId)}/audit`, {
    account,
    query: { ...auditQuery(filters), before: before ?? undefined, limit: 50 },
    ...withSignal(signal),
  });

export const downloadOrganisationAudit = (account: string, orgId: string, filters: AuditFilters) =>
  download(`${org(orgId)}/audit`, 'audit.csv', {
    account,
    query: { ...auditQuery(filters), format: 'csv' },
  });

export const getCoverageReport = (
  account: string,
  orgId: string,
  staleDays: number,
  signal?: AbortSignal,
) =>
  request<CoverageReport>(`${org(orgId)}/report`, {
    account,
    query: { staleDays },
    ...withSignal(signal),
  });

export const downloadCoverageReport = (account: string, orgId: string, staleDays: number) =>
  download(`${org(orgId)}/report`, 'coverage.csv', {
    account,
    query: { staleDays, format: 'csv' },
  });
