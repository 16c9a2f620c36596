import type { Kysely } from 'kysely';
import { newId } from '../../../db/ids.js';
import type { DatabaseSchema, MembershipRole } from '../../../db/schema.js';
import type { UserRow } from '../../accounts/users-repo.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { addedToOrganisation, invitation, recipientOf } from '../../mail/messages.js';
import type { Language } from '../../messages.js';
import type { AuditActor } from '../audit/index.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

type Db = Kysely<DatabaseSchema>;

/**
 * Invitations by email. Adding a member whose address has no account yet (or an account still
 * waiting for its address to be confirmed) records an invitation and mails it; the invitation
 * turns into a membership, with the role it named, when the address's account is confirmed,
 * and lapses after `invitationValidDays`. Nobody gets into an organisation by typing an address
 * they cannot read mail at.
 */

export const invitationValidDays = 14;
const dayMs = 24 * 60 * 60_000;

export interface InvitationView {
  id: string;
  email: string;
  role: MembershipRole;
  invitedBy: { accountId: string; displayName: string; email: string } | null;
  invitedAt: string;
  expiresAt: string;
}

function invitationView(row: repo.InvitationRow): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    invitedBy:
      row.invited_by_user_id === null || row.inviter_email === null
        ? null
        : {
            accountId: row.invited_by_user_id,
            displayName: row.inviter_name ?? row.inviter_email,
            email: row.inviter_email,
          },
    invitedAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** The invitation message for `row`, in the transaction that records it being sent. */
async function queueInvitationMail(
  ctx: ServerContext,
  trx: Db,
  caller: Caller,
  row: { organisation_id: string; email: string; role: MembershipRole; expires_at: string },
  language: Language,
): Promise<void> {
  await ctx.mail.queue(trx, [
    invitation(
      { email: row.email, language },
      {
        organisationName: await repo.organisationName(trx, row.organisation_id),
        inviterName: await repo.userName(trx, caller.accountId),
        role: row.role,
        signupLink: ctx.mail.link(`/sign-up?email=${encodeURIComponent(row.email)}`),
        validDays: invitationValidDays,
      },
    ),
  ]);
}

/** Records (or renews) the invitation and mails it; audited. Mail must be on. */
export async function invite(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: { email: string; emailNormalized: string; role: MembershipRole; language: Language },
): Promise<InvitationView> {
  const now = ctx.now();
  const row = {
    id: newId(),
    organisation_id: organisationId,
    email: input.email.trim(),
    email_normalized: input.emailNormalized,
    role: input.role,
    invited_by_user_id: caller.accountId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + invitationValidDays * dayMs).toISOString(),
  };
  await ctx.database.transaction(async (trx) => {
    await repo.lockOrganisation(trx, organisationId, row.created_at);
    await repo.deleteInvitationFor(trx, organisationId, input.emailNormalized);
    await repo.insertInvitation(trx, row);
    await ctx.audit.record(trx, caller, {
      action: 'member_invited',
      subjectUserId: null,
      organisationId,
      details: { email: row.email, role: row.role, invitationId: row.id },
    });
    await queueInvitationMail(ctx, trx, caller, row, input.language);
  });
  const recorded = await repo.findInvitation(ctx.db, organisationId, row.id);
  if (!recorded) throw new NotFoundError(things.invitation);
  return invitationView(recorded);
}

/**
 * Mails the invitation again and gives it a full `invitationValidDays` from now (someone lost
 * the first mail, or it lapsed unread); audited. Mail must be on.
 */
export async function resendInvitation(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  invitationId: string,
  language: Language,
): Promise<InvitationView> {
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + invitationValidDays * dayMs).toISOString();
  await ctx.database.transaction(async (trx) => {
    const renewed = await repo.renewInvitation(trx, organisationId, invitationId, expiresAt);
    if (!renewed) throw new NotFoundError(things.invitation);
    await ctx.audit.record(trx, caller, {
      action: 'invitation_resent',
      subjectUserId: null,
      organisationId,
      details: { email: renewed.email, role: renewed.role, invitationId, expiresAt },
    });
    await queueInvitationMail(ctx, trx, caller, renewed, language);
  });
  const resent = await repo.findInvitation(ctx.db, organisationId, invitationId);
  if (!resent) throw new NotFoundError(things.invitation);
  return invitationView(resent);
}

/** Tells an existing account it was added (in the transaction that added it). */
export async function queueAddedNotice(
  ctx: ServerContext,
  trx: Db,
  caller: Caller,
  organisationId: string,
  user: UserRow,
  role: MembershipRole,
): Promise<void> {
  if (!ctx.mail.enabled) return;
  await ctx.mail.queue(trx, [
    addedToOrganisation(recipientOf(user), {
      organisationName: await repo.organisationName(trx, organisationId),
      inviterName: await repo.userName(trx, caller.accountId),
      role,
      link: ctx.mail.link('/keys'),
    }),
  ]);
}

/**
 * Turns the open invitations of the user's address into memberships, in the transaction that
 * confirms the address; expired ones are dropped.
 */
export async function acceptInvitations(
  ctx: ServerContext,
  trx: Db,
  actor: AuditActor,
  user: UserRow,
): Promise<void> {
  const at = ctx.now().toISOString();
  const open = await repo.invitationsForEmail(trx, user.email_normalized);
  for (const invited of open) {
    if (invited.expires_at > at && !(await repo.memberOf(trx, invited.organisation_id, user.id))) {
      await repo.insertMembership(trx, {
        organisationId: invited.organisation_id,
        userId: user.id,
        role: invited.role,
        at,
      });
      await ctx.audit.record(trx, actor, {
        action: 'member_added',
        subjectUserId: user.id,
        organisationId: invited.organisation_id,
        details: { role: invited.role, via: 'invitation', invitationId: invited.id },
      });
    }
    await repo.deleteInvitation(trx, invited.organisation_id, invited.id);
  }
}

export async function listInvitations(
  ctx: ServerContext,
  organisationId: string,
): Promise<InvitationView[]> {
  const at = ctx.now().toISOString();
  const rows = await repo.invitationsOf(ctx.db, organisationId);
  return rows.filter((row) => row.expires_at > at).map(invitationView);
}

export async function withdrawInvitation(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  invitationId: string,
): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    const removed = await repo.deleteInvitation(trx, organisationId, invitationId);
    if (!removed) throw new NotFoundError(things.invitation);
    await ctx.audit.record(trx, caller, {
      action: 'invitation_withdrawn',
      subjectUserId: null,
      organisationId,
      details: { email: removed.email, role: removed.role, invitationId },
    });
  });
}
