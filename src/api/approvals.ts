import { z } from 'zod';
import { organisationRevealBody, revealReasons } from './keys.js';
import { plainMultilineText } from './plain-text.js';

/**
 * Approvals of helpdesk reveals in an organisation whose `requireApproval` policy is on. A
 * request is `pending` until an owner, an admin or another helpdesk person decides; `approved`
 * lets the requester reveal the key once until `expiresAt`, after which it is `used` or
 * `expired`; `denied` ends it.
 */
export const approvalStates = ['pending', 'approved', 'denied', 'used', 'expired'] as const;
export type ApprovalStateName = (typeof approvalStates)[number];

const person = z.object({ accountId: z.string(), email: z.string(), displayName: z.string() });

export const approval = z
  .object({
    id: z.string(),
    state: z.enum(approvalStates),
    key: z.object({
      id: z.string(),
      protectorId: z.string(),
      shortId: z.string(),
      deviceName: z.string().nullable(),
    }),
    requester: person,
    reason: z.enum(revealReasons),
    reasonText: z.string().nullable(),
    ticket: z.string().nullable(),
    requestedAt: z.string(),
    decidedBy: person.nullable(),
    decidedAt: z.string().nullable(),
    note: z.string().nullable(),
    /** When an approved request lapses (set once approved). */
    expiresAt: z.string().nullable(),
    usedAt: z.string().nullable(),
  })
  .meta({ id: 'RevealApproval' });

export const approvalsParams = z.object({ orgId: z.uuid() });
export const approvalParams = z.object({ orgId: z.uuid(), approvalId: z.uuid() });

export const approvalListQuery = z.object({
  state: z.enum(approvalStates).optional().describe('Only requests in this state'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const decisionBody = z
  .object({
    note: plainMultilineText(z.string().trim().max(500))
      .optional()
      .describe('Why, for the requester and the audit'),
  })
  .nullish();

/** The organisation reveal body; `approvalId` names the approved request the reveal uses. */
export const organisationRevealWithApprovalBody = organisationRevealBody.extend({
  approvalId: z
    .uuid()
    .optional()
    .describe('The approved request this reveal uses (when the organisation requires approval)'),
});

export const approvalPendingResponse = z.object({
  approvalId: z.string().describe('Reveal again with this approvalId once it is approved'),
});
export const approvalResponse = z.object({ approval });
export const approvalsResponse = z.object({ items: z.array(approval) });

export type Approval = z.output<typeof approval>;
export type ApprovalListQuery = z.input<typeof approvalListQuery>;
