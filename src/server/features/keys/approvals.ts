import type { Approval, ApprovalStateName } from '../../../api/approvals.js';
import type { revealReasons } from '../../../api/keys.js';
import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { idPattern, newId } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../../errors.js';
import type { MembershipRole } from '../../../db/schema.js';
import { approvingRoles, type LibraryAccess } from '../../policies.js';
import { libraryPolicies } from '../orgs/index.js';
import * as repo from './approvals-repo.js';
import { keyEvent } from './key-access.js';
import type { KeySummaryRow } from './keys-repo.js';
import type { RevealReason } from './reveal-key.js';
import { markRevealed } from './rotation.js';
import {
  queueApprovalDecision,
  queueApprovalRequest,
  queueRevealNotices,
} from './reveal-notices.js';
import { things } from '../../messages.js';

/**
 * Approvals of helpdesk reveals. With the organisation's `requireApproval` policy on, a helpdesk
 * reveal becomes a request; an owner, an admin or another helpdesk person (never the requester)
 * approves or denies it; an approved request lets the requester reveal that key once, until it
 * lapses `approvalLifetimeHours` after the approval.
 */

type RevealReasonName = (typeof revealReasons)[number];

const hourMs = 60 * 60_000;

/** An approval that cannot be used for a reveal, and why, in words the requester can act on. */
export class ApprovalNotUsableError extends DomainError {}

/** Whether a reveal of the key by this caller waits for someone else's approval. */
export async function revealNeedsApproval(
  ctx: ServerContext,
  access: LibraryAccess,
): Promise<boolean> {
  if (access.library.kind !== 'organisation' || access.role !== 'helpdesk') return false;
  return (await libraryPolicies(ctx.db, access.library.organisationId)).requireApproval;
}

function stateOf(row: repo.ApprovalRow, now: string): ApprovalStateName {
  if (row.state !== 'approved') return row.state;
  if (row.used_at !== null) return 'used';
  return row.expires_at !== null && row.expires_at > now ? 'approved' : 'expired';
}

function approvalView(row: repo.ApprovalViewRow, now: string): Approval {
  return {
    id: row.id,
    state: stateOf(row, now),
    key: {
      id: row.key_id,
      protectorId: parseProtectorId(row.protector_hex),
      shortId: row.protector_hex.slice(0, 8),
      deviceName: row.device_name,
    },
    requester: {
      accountId: row.requester_user_id,
      email: row.requester_email,
      displayName: row.requester_name,
    },
    reason: row.reason as RevealReasonName,
    reasonText: row.reason_text,
    ticket: row.ticket,
    requestedAt: row.created_at,
    decidedBy:
      row.decided_by_user_id === null || row.decider_email === null
        ? null
        : {
            accountId: row.decided_by_user_id,
            email: row.decider_email,
            displayName: row.decider_name ?? row.decider_email,
          },
    decidedAt: row.decided_at,
    note: row.decision_note,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** Files a request to reveal the key; audited. Returns the request's id. */
export async function requestApproval(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  row: KeySummaryRow,
  reason: RevealReason,
): Promise<string> {
  if (access.library.kind !== 'organisation') throw new Error('approvals are for organisations');
  const organisationId = access.library.organisationId;
  const id = newId();
  await ctx.database.transaction(async (trx) => {
    await repo.insertApproval(trx, {
      id,
      organisation_id: organisationId,
      key_id: row.id,
      requester_user_id: caller.accountId,
      reason: reason.reason,
      reason_text: reason.reasonText ?? null,
      ticket: reason.ticket ?? null,
      state: 'pending',
      decided_by_user_id: null,
      decided_at: null,
      decision_note: null,
      expires_at: null,
      used_at: null,
      created_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, caller, {
      action: 'reveal_approval_requested',
      ...keyEvent(caller, access, row, { approvalId: id, ...reason }),
    });
    await queueApprovalRequest(
      ctx,
      trx,
      caller,
      {
        organisationId,
        keyId: row.id,
        protectorHex: row.protector_hex,
        deviceName: row.device_name,
      },
      {
        reason: reason.reason,
        reasonText: reason.reasonText ?? null,
        ticket: reason.ticket ?? null,
      },
    );
  });
  return id;
}

/**
 * Spends the approval on this reveal, records the reveal and marks the key for rotation, in one
 * transaction: of any number of concurrent reveals with one approval, one succeeds, and an
 * approval that cannot be used (it says why) leaves the key as it was.
 */
export async function revealWithApproval(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  row: KeySummaryRow,
  approvalId: string,
): Promise<void> {
  if (access.library.kind !== 'organisation') throw new Error('approvals are for organisations');
  const organisationId = access.library.organisationId;
  const found = idPattern.test(approvalId)
    ? await repo.findApproval(ctx.db, organisationId, approvalId)
    : undefined;
  // Someone else's approval, or one for another key, is as good as none.
  if (found?.key_id !== row.id || found.requester_user_id !== caller.accountId) {
    throw new NotFoundError(things.approval);
  }
  const at = ctx.now().toISOString();
  const used = await ctx.database.transaction(async (trx) => {
    const claimed = await repo.useApproval(trx, organisationId, {
      id: approvalId,
      keyId: row.id,
      requesterId: caller.accountId,
      at,
    });
    if (!claimed) return false;
    await markRevealed(ctx, access, row, trx);
    await ctx.audit.record(trx, caller, {
      action: 'key_revealed',
      ...keyEvent(caller, access, row, {
        reason: found.reason,
        ...(found.reason_text === null ? {} : { reasonText: found.reason_text }),
        ...(found.ticket === null ? {} : { ticket: found.ticket }),
        approvalId,
        approvedBy: found.decided_by_user_id,
      }),
    });
    await queueRevealNotices(
      ctx,
      trx,
      caller,
      {
        organisationId,
        keyId: row.id,
        protectorHex: row.protector_hex,
        deviceName: row.device_name,
        assigneeId: row.device_assignee_id,
      },
      {
        reason: found.reason,
        reasonText: found.reason_text,
        ticket: found.ticket,
        approvedBy: found.decider_name,
      },
    );
    return true;
  });
  if (used) return;
  const now = await repo.findApproval(ctx.db, organisationId, approvalId);
  throw notUsable(now ? stateOf(now, at) : 'expired');
}

function notUsable(state: ApprovalStateName): ApprovalNotUsableError {
  switch (state) {
    case 'pending':
      return new ApprovalNotUsableError(409, 'approval_pending', {
        en: 'The request to reveal this key is still waiting for approval.',
        nb: 'Forespørselen om å vise denne nøkkelen venter fortsatt på godkjenning.',
      });
    case 'denied':
      return new ApprovalNotUsableError(403, 'approval_denied', {
        en: 'The request to reveal this key was denied.',
        nb: 'Forespørselen om å vise denne nøkkelen ble avslått.',
      });
    case 'used':
      return new ApprovalNotUsableError(409, 'approval_used', {
        en: 'This approval has already been used: an approval reveals the key once. Ask again if you need it.',
        nb: 'Denne godkjenningen er allerede brukt: en godkjenning viser nøkkelen én gang. Be om ny hvis du trenger den.',
      });
    case 'expired':
    case 'approved':
      return new ApprovalNotUsableError(410, 'approval_expired', {
        en: 'This approval has lapsed. Ask for a new one.',
        nb: 'Denne godkjenningen har gått ut. Be om en ny.',
      });
  }
}

/** The caller's role; people outside the organisation get the answer for a missing one. */
function roleIn(caller: Caller, organisationId: string): MembershipRole {
  const role = caller.memberships.get(organisationId);
  if (role === undefined) throw new NotFoundError(things.organisation);
  return role;
}

/** Owners, admins and the helpdesk see and decide every request; other roles none. */
function requireApprover(caller: Caller, organisationId: string): void {
  if (!approvingRoles.includes(roleIn(caller, organisationId))) {
    throw new ForbiddenError({
      en: 'Your role in this organisation does not allow deciding on reveals.',
      nb: 'Rollen din i denne organisasjonen gir ikke lov til å avgjøre visninger.',
    });
  }
}

export async function listApprovals(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  query: { state?: ApprovalStateName | undefined; limit: number },
): Promise<Approval[]> {
  requireApprover(caller, organisationId);
  const now = ctx.now().toISOString();
  const rows = await repo.listApprovals(ctx.db, organisationId, {
    state: query.state,
    now,
    limit: query.limit,
  });
  return rows.map((row) => approvalView(row, now));
}

/** An approver, or the requester following their own request. */
export async function getApproval(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  approvalId: string,
): Promise<Approval> {
  const role = roleIn(caller, organisationId);
  const row = idPattern.test(approvalId)
    ? await repo.findApproval(ctx.db, organisationId, approvalId)
    : undefined;
  const mayRead =
    row !== undefined &&
    (row.requester_user_id === caller.accountId || approvingRoles.includes(role));
  if (!row || !mayRead) throw new NotFoundError(things.approval);
  return approvalView(row, ctx.now().toISOString());
}

/**
 * Approves or denies a pending request; audited in the same transaction. Of any number of
 * concurrent decisions one is recorded; the others hear it was already decided.
 */
export async function decideApproval(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  approvalId: string,
  decision: 'approved' | 'denied',
  note: string | undefined,
): Promise<Approval> {
  requireApprover(caller, organisationId);
  const row = idPattern.test(approvalId)
    ? await repo.findApproval(ctx.db, organisationId, approvalId)
    : undefined;
  if (!row) throw new NotFoundError(things.approval);
  if (row.requester_user_id === caller.accountId) {
    throw new ForbiddenError({
      en: 'You cannot decide on your own request: another admin or helpdesk person has to.',
      nb: 'Du kan ikke avgjøre din egen forespørsel: en annen administrator eller en annen på brukerstøtte må gjøre det.',
    });
  }
  const policies = await libraryPolicies(ctx.db, organisationId);
  const now = ctx.now();
  const at = now.toISOString();
  const expiresAt =
    decision === 'approved'
      ? new Date(now.getTime() + policies.approvalLifetimeHours * hourMs).toISOString()
      : null;
  const decided = await ctx.database.transaction(async (trx) => {
    const won = await repo.decideApproval(trx, organisationId, approvalId, {
      state: decision,
      deciderId: caller.accountId,
      note: note ?? null,
      at,
      expiresAt,
    });
    if (!won) return false;
    await ctx.audit.record(trx, caller, {
      action: decision === 'approved' ? 'reveal_approved' : 'reveal_denied',
      subjectUserId: row.requester_user_id,
      organisationId,
      details: {
        approvalId,
        keyId: row.key_id,
        protectorId: parseProtectorId(row.protector_hex),
        shortId: row.protector_hex.slice(0, 8),
        deviceName: row.device_name,
        reason: row.reason,
        ...(row.ticket === null ? {} : { ticket: row.ticket }),
        ...(note === undefined ? {} : { note }),
        ...(expiresAt === null ? {} : { expiresAt }),
      },
    });
    await queueApprovalDecision(
      ctx,
      trx,
      caller,
      {
        organisationId,
        keyId: row.key_id,
        protectorHex: row.protector_hex,
        deviceName: row.device_name,
        requesterId: row.requester_user_id,
      },
      { approved: decision === 'approved', note: note ?? null, expiresAt },
    );
    return true;
  });
  if (!decided) {
    throw new ConflictError({
      en: 'This request has already been decided.',
      nb: 'Denne forespørselen er allerede avgjort.',
    });
  }
  const after = await repo.findApproval(ctx.db, organisationId, approvalId);
  if (!after) throw new NotFoundError(things.approval);
  return approvalView(after, ctx.now().toISOString());
}
