import { newId } from '../../../db/ids.js';
import type { MembershipRole } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { limitKeys, policies } from '../../credential-limits.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';
import { managingRoles } from '../../policies.js';
import { normalizeEmail } from '../../accounts/email.js';
import { findUserByEmail } from '../../accounts/users-repo.js';
import { serverActor } from '../audit/index.js';
import * as invitations from './invitations.js';
import { invite, queueAddedNotice, type InvitationView } from './invitations.js';
import type { Language } from '../../messages.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

export interface OrganisationView {
  id: string;
  name: string;
  role: MembershipRole;
  createdAt: string;
}

export interface MemberView {
  accountId: string;
  email: string;
  displayName: string;
  role: MembershipRole;
  addedAt: string;
}

function memberView(row: {
  user_id: string;
  email: string;
  display_name: string;
  role: MembershipRole;
  created_at: string;
}): MemberView {
  return {
    accountId: row.user_id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    addedAt: row.created_at,
  };
}

function organisationView(row: {
  id: string;
  name: string;
  created_at: string;
  role: MembershipRole;
}): OrganisationView {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at };
}

/** The caller's role in the organisation; non-members get the same 404 as a missing one. */
function roleIn(caller: Caller, organisationId: string): MembershipRole {
  const role = caller.memberships.get(organisationId);
  if (!role) throw new NotFoundError(things.organisation);
  return role;
}

function requireManager(caller: Caller, organisationId: string): MembershipRole {
  const role = roleIn(caller, organisationId);
  if (!managingRoles.includes(role)) {
    throw new ForbiddenError({
      en: 'Only owners and admins of the organisation can manage its members.',
      nb: 'Bare eiere og administratorer i organisasjonen kan administrere medlemmene.',
    });
  }
  return role;
}

/** Admins manage everyone but owners; only owners make or change owners. */
function requireMayAssign(
  actorRole: MembershipRole,
  targetRole: MembershipRole | undefined,
  newRole?: MembershipRole,
) {
  if (actorRole === 'owner') return;
  if (targetRole === 'owner' || newRole === 'owner') {
    throw new ForbiddenError({
      en: 'Only an owner of the organisation can add, change or remove owners.',
      nb: 'Bare en eier av organisasjonen kan legge til, endre eller fjerne eiere.',
    });
  }
}

/**
 * Creates an organisation with its first owner. `actor` is the signed-in person creating it, or
 * undefined when an administrator runs `keyhold admin create-org`.
 */
export async function createOrganisation(
  ctx: ServerContext,
  input: { name: string; ownerUserId: string },
  actor?: Caller,
): Promise<OrganisationView> {
  const at = ctx.now().toISOString();
  const id = newId();
  await ctx.database.transaction(async (trx) => {
    await repo.insertOrganisation(trx, { id, name: input.name, at });
    await repo.insertMembership(trx, {
      organisationId: id,
      userId: input.ownerUserId,
      role: 'owner',
      at,
    });
    await ctx.audit.record(trx, actor ?? serverActor, {
      action: 'organisation_created',
      subjectUserId: input.ownerUserId,
      organisationId: id,
      details: { name: input.name, via: actor ? 'api' : 'admin command' },
    });
  });
  return { id, name: input.name, role: 'owner', createdAt: at };
}

export async function listOrganisations(ctx: ServerContext, caller: Caller) {
  const rows = await repo.organisationsOfUser(ctx.db, caller.accountId);
  return rows.map(organisationView);
}

export async function getOrganisation(ctx: ServerContext, caller: Caller, organisationId: string) {
  roleIn(caller, organisationId);
  const row = await repo.organisationOfMember(ctx.db, organisationId, caller.accountId);
  if (!row) throw new NotFoundError(things.organisation);
  return organisationView(row);
}

export async function listMembers(ctx: ServerContext, caller: Caller, organisationId: string) {
  roleIn(caller, organisationId);
  return (await repo.membersOf(ctx.db, organisationId)).map(memberView);
}

/**
 * Adds the account with this address; with mail on, it is told by mail, and an address without
 * a confirmed account gets an invitation instead (see invitations.ts).
 */
export async function addMember(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: { email: string; role: MembershipRole },
  language: Language,
): Promise<{ member: MemberView } | { invitation: InvitationView }> {
  const actorRole = requireManager(caller, organisationId);
  requireMayAssign(actorRole, undefined, input.role);
  // Adding by email answers whether an account exists, so it is rationed like sign-in.
  await ctx.limiter.count(limitKeys.memberInvite(caller.accountId), policies.memberInvite);
  const emailNormalized = normalizeEmail(input.email);
  const user = await findUserByEmail(ctx.db, emailNormalized);
  const confirmed = user?.email_unconfirmed_since === null;
  if (!user || (ctx.mail.enabled && !confirmed)) {
    if (!ctx.mail.enabled) throw new NotFoundError(things.accountWithEmail);
    return {
      invitation: await invite(ctx, caller, organisationId, {
        email: input.email,
        emailNormalized,
        role: input.role,
        language,
      }),
    };
  }
  const at = ctx.now().toISOString();
  await ctx.database.transaction(async (trx) => {
    await repo.lockOrganisation(trx, organisationId, at);
    if (await repo.memberOf(trx, organisationId, user.id)) {
      throw new ConflictError({
        en: 'This person is already a member of the organisation.',
        nb: 'Denne personen er allerede medlem av organisasjonen.',
      });
    }
    await repo.insertMembership(trx, { organisationId, userId: user.id, role: input.role, at });
    await ctx.audit.record(trx, caller, {
      action: 'member_added',
      subjectUserId: user.id,
      organisationId,
      details: { role: input.role },
    });
    await queueAddedNotice(ctx, trx, caller, organisationId, user, input.role);
  });
  const added = await repo.memberOf(ctx.db, organisationId, user.id);
  if (!added) throw new NotFoundError(things.member);
  return { member: memberView(added) };
}

/** The open invitations of the organisation (owners and admins). */
export function listInvitations(ctx: ServerContext, caller: Caller, organisationId: string) {
  requireManager(caller, organisationId);
  return invitations.listInvitations(ctx, organisationId);
}

/** Mails an open invitation again with a new expiry (owners and admins). */
export function resendInvitation(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  invitationId: string,
  language: Language,
) {
  requireManager(caller, organisationId);
  return invitations.resendInvitation(ctx, caller, organisationId, invitationId, language);
}

export async function withdrawInvitation(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  invitationId: string,
): Promise<void> {
  requireManager(caller, organisationId);
  await invitations.withdrawInvitation(ctx, caller, organisationId, invitationId);
}

export async function changeMemberRole(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  userId: string,
  input: { role: MembershipRole },
): Promise<MemberView> {
  const actorRole = requireManager(caller, organisationId);
  const at = ctx.now().toISOString();
  await ctx.database.transaction(async (trx) => {
    await repo.lockOrganisation(trx, organisationId, at);
    const target = await repo.memberOf(trx, organisationId, userId);
    if (!target) throw new NotFoundError(things.member);
    requireMayAssign(actorRole, target.role, input.role);
    if (target.role === input.role) return;
    if (target.role === 'owner' && (await repo.countOwners(trx, organisationId)) === 1) {
      throw new ConflictError({
        en: 'The organisation needs at least one owner: make someone else an owner first.',
        nb: 'Organisasjonen må ha minst én eier: gjør noen andre til eier først.',
      });
    }
    await repo.updateMembershipRole(trx, organisationId, userId, input.role, at);
    await ctx.audit.record(trx, caller, {
      action: 'member_role_changed',
      subjectUserId: userId,
      organisationId,
      details: { from: target.role, to: input.role },
    });
  });
  const changed = await repo.memberOf(ctx.db, organisationId, userId);
  if (!changed) throw new NotFoundError(things.member);
  return memberView(changed);
}

/** Owners and admins remove members; anyone may leave. The last owner stays. */
export async function removeMember(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  userId: string,
): Promise<void> {
  const leaving = userId === caller.accountId;
  const actorRole = leaving
    ? roleIn(caller, organisationId)
    : requireManager(caller, organisationId);
  const at = ctx.now().toISOString();
  await ctx.database.transaction(async (trx) => {
    await repo.lockOrganisation(trx, organisationId, at);
    const target = await repo.memberOf(trx, organisationId, userId);
    if (!target) throw new NotFoundError(things.member);
    if (!leaving) requireMayAssign(actorRole, target.role);
    if (target.role === 'owner' && (await repo.countOwners(trx, organisationId)) === 1) {
      throw new ConflictError({
        en: 'The organisation needs at least one owner: make someone else an owner first.',
        nb: 'Organisasjonen må ha minst én eier: gjør noen andre til eier først.',
      });
    }
    await repo.deleteMembership(trx, organisationId, userId);
    await ctx.audit.record(trx, caller, {
      action: leaving ? 'member_left' : 'member_removed',
      subjectUserId: userId,
      organisationId,
      details: { role: target.role },
    });
  });
}
