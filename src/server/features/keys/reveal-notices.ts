import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { findUserById } from '../../accounts/users-repo.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import {
  approvalDecided,
  approvalRequested,
  recipientOf,
  revealNotice,
  type ReasonFacts,
} from '../../mail/messages.js';
import { approvingRoles, managingRoles } from '../../policies.js';
import { libraryPolicies, membersWithRoles, organisationName } from '../orgs/index.js';
import type { Db } from './owner-filter.js';

/**
 * Who hears of what happens to an organisation's keys, by email: a reveal goes to the person the
 * device is assigned to (policy `notifyAssignee`) and to the owners and admins (`notifyAdmins`),
 * never to the person who revealed it; a reveal request goes to everyone who may decide it, and
 * the decision to the requester. Queued in the transaction of the event, so a message goes out
 * exactly when the event was recorded.
 */

interface KeyAt {
  organisationId: string;
  keyId: string;
  protectorHex: string;
  deviceName: string | null;
}

async function keyFacts(db: Db, key: KeyAt) {
  return {
    organisationName: await organisationName(db, key.organisationId),
    deviceName: key.deviceName ?? '—',
    keyId: parseProtectorId(key.protectorHex),
  };
}

export async function queueRevealNotices(
  ctx: ServerContext,
  trx: Db,
  caller: Caller,
  key: KeyAt & { assigneeId: string | null },
  reason: ReasonFacts & { approvedBy: string | null },
): Promise<void> {
  if (!ctx.mail.enabled) return;
  const policies = await libraryPolicies(trx, key.organisationId);
  const revealer = await findUserById(trx, caller.accountId);
  if (!revealer) return;
  const people = new Map<string, { user: Parameters<typeof recipientOf>[0]; own: boolean }>();
  if (policies.notifyAdmins) {
    for (const admin of await membersWithRoles(trx, key.organisationId, managingRoles)) {
      people.set(admin.id, { user: admin, own: false });
    }
  }
  if (policies.notifyAssignee && key.assigneeId !== null) {
    const assignee = await findUserById(trx, key.assigneeId);
    if (assignee) people.set(assignee.id, { user: assignee, own: true });
  }
  people.delete(caller.accountId);
  if (people.size === 0) return;
  const facts = await keyFacts(trx, key);
  const at = ctx.now().toISOString();
  await ctx.mail.queue(
    trx,
    [...people.values()].map(({ user, own }) =>
      revealNotice(recipientOf(user), {
        ...facts,
        ...reason,
        revealerName: revealer.display_name,
        revealerEmail: revealer.email,
        at,
        ownDevice: own,
        link: ctx.mail.link(own ? '/activity' : `/orgs/${key.organisationId}/audit`),
      }),
    ),
  );
}

export async function queueApprovalRequest(
  ctx: ServerContext,
  trx: Db,
  caller: Caller,
  key: KeyAt,
  reason: ReasonFacts,
): Promise<void> {
  if (!ctx.mail.enabled) return;
  const requester = await findUserById(trx, caller.accountId);
  if (!requester) return;
  const approvers = (await membersWithRoles(trx, key.organisationId, approvingRoles)).filter(
    (person) => person.id !== caller.accountId,
  );
  const facts = await keyFacts(trx, key);
  await ctx.mail.queue(
    trx,
    approvers.map((approver) =>
      approvalRequested(recipientOf(approver), {
        ...facts,
        ...reason,
        requesterName: requester.display_name,
        requesterEmail: requester.email,
        link: ctx.mail.link(`/orgs/${key.organisationId}/approvals`),
      }),
    ),
  );
}

export async function queueApprovalDecision(
  ctx: ServerContext,
  trx: Db,
  caller: Caller,
  key: KeyAt & { requesterId: string },
  decision: { approved: boolean; note: string | null; expiresAt: string | null },
): Promise<void> {
  if (!ctx.mail.enabled) return;
  const requester = await findUserById(trx, key.requesterId);
  const decider = await findUserById(trx, caller.accountId);
  if (!requester || !decider) return;
  await ctx.mail.queue(trx, [
    approvalDecided(recipientOf(requester), {
      ...(await keyFacts(trx, key)),
      ...decision,
      deciderName: decider.display_name,
      link: ctx.mail.link(`/orgs/${key.organisationId}/approvals`),
    }),
  ]);
}
