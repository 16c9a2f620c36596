import type { ApprovalStateName } from '../../../api/approvals.js';
import type { ApprovalState, RevealApprovalsTable } from '../../../db/schema.js';
import type { Db } from './owner-filter.js';

/**
 * Queries on reveal approvals. Each takes the organisation and filters by it, so an approval of
 * another organisation is never found. Deciding and using an approval are single conditional
 * updates: whichever of many concurrent attempts the database applies first wins, and the rest
 * change nothing.
 */

export type ApprovalRow = RevealApprovalsTable;

export async function insertApproval(db: Db, row: ApprovalRow): Promise<void> {
  await db.insertInto('reveal_approvals').values(row).execute();
}

/** An approval with what a person reads about it: the key, its device, who asked and decided. */
export interface ApprovalViewRow extends ApprovalRow {
  protector_hex: string;
  device_name: string | null;
  requester_email: string;
  requester_name: string;
  decider_email: string | null;
  decider_name: string | null;
}

function approvalViews(db: Db, organisationId: string) {
  return db
    .selectFrom('reveal_approvals')
    .innerJoin('recovery_keys', 'recovery_keys.id', 'reveal_approvals.key_id')
    .innerJoin('volumes', 'volumes.id', 'recovery_keys.volume_id')
    .innerJoin('devices', 'devices.id', 'volumes.device_id')
    .innerJoin('users as requester', 'requester.id', 'reveal_approvals.requester_user_id')
    .leftJoin('users as decider', 'decider.id', 'reveal_approvals.decided_by_user_id')
    .selectAll('reveal_approvals')
    .select([
      'recovery_keys.protector_hex',
      'devices.name as device_name',
      'requester.email as requester_email',
      'requester.display_name as requester_name',
      'decider.email as decider_email',
      'decider.display_name as decider_name',
    ])
    .where('reveal_approvals.organisation_id', '=', organisationId);
}

export function findApproval(
  db: Db,
  organisationId: string,
  id: string,
): Promise<ApprovalViewRow | undefined> {
  return approvalViews(db, organisationId).where('reveal_approvals.id', '=', id).executeTakeFirst();
}

/** Newest first; `state` as people see it (approved splits into approved, used and expired). */
export function listApprovals(
  db: Db,
  organisationId: string,
  filter: { state: ApprovalStateName | undefined; now: string; limit: number },
): Promise<ApprovalViewRow[]> {
  let query = approvalViews(db, organisationId);
  switch (filter.state) {
    case 'pending':
    case 'denied':
      query = query.where('reveal_approvals.state', '=', filter.state);
      break;
    case 'approved':
      query = query
        .where('reveal_approvals.state', '=', 'approved')
        .where('reveal_approvals.used_at', 'is', null)
        .where('reveal_approvals.expires_at', '>', filter.now);
      break;
    case 'used':
      query = query
        .where('reveal_approvals.state', '=', 'approved')
        .where('reveal_approvals.used_at', 'is not', null);
      break;
    case 'expired':
      query = query
        .where('reveal_approvals.state', '=', 'approved')
        .where('reveal_approvals.used_at', 'is', null)
        .where('reveal_approvals.expires_at', '<=', filter.now);
      break;
    case undefined:
      break;
  }
  return query
    .orderBy('reveal_approvals.created_at', 'desc')
    .orderBy('reveal_approvals.id', 'desc')
    .limit(filter.limit)
    .execute();
}

/** Records the decision if the request is still pending; false when someone decided first. */
export async function decideApproval(
  db: Db,
  organisationId: string,
  id: string,
  decision: {
    state: Exclude<ApprovalState, 'pending'>;
    deciderId: string;
    note: string | null;
    at: string;
    expiresAt: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('reveal_approvals')
    .set({
      state: decision.state,
      decided_by_user_id: decision.deciderId,
      decided_at: decision.at,
      decision_note: decision.note,
      expires_at: decision.expiresAt,
    })
    .where('organisation_id', '=', organisationId)
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('requester_user_id', '!=', decision.deciderId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Spends an approval on one reveal of its key by its requester: true for exactly one caller,
 * while it is approved, unused and not lapsed.
 */
export async function useApproval(
  db: Db,
  organisationId: string,
  use: { id: string; keyId: string; requesterId: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('reveal_approvals')
    .set({ used_at: use.at })
    .where('organisation_id', '=', organisationId)
    .where('id', '=', use.id)
    .where('key_id', '=', use.keyId)
    .where('requester_user_id', '=', use.requesterId)
    .where('state', '=', 'approved')
    .where('used_at', 'is', null)
    .where('expires_at', '>', use.at)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
