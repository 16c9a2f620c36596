import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { authorize, organisationLibrary } from '../../policies.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

/**
 * What an organisation decides about its library: whether members reveal the keys of their own
 * devices, whether a helpdesk reveal waits for a second person's approval and how long an
 * approval lasts, who is told about a reveal (the person a device is assigned to, the
 * organisation's owners and admins), and whether enrolled devices give a drive without a recovery
 * password one.
 */
export interface LibraryPolicies {
  selfServiceReveal: boolean;
  requireApproval: boolean;
  approvalLifetimeHours: number;
  notifyAssignee: boolean;
  notifyAdmins: boolean;
  ensureRecoveryPassword: boolean;
}

export async function libraryPolicies(
  db: Kysely<DatabaseSchema>,
  organisationId: string,
): Promise<LibraryPolicies> {
  const row = await repo.libraryPoliciesOf(db, organisationId);
  if (!row) throw new NotFoundError(things.organisation);
  return {
    selfServiceReveal: row.self_service_reveal === 1,
    requireApproval: row.require_approval === 1,
    approvalLifetimeHours: row.approval_lifetime_hours,
    notifyAssignee: row.notify_assignee === 1,
    notifyAdmins: row.notify_admins === 1,
    ensureRecoveryPassword: row.ensure_recovery_password === 1,
  };
}

/** Every member may read the policies: they say what the member's own reveals need. */
export function readLibraryPolicies(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
): Promise<LibraryPolicies> {
  if (!caller.memberships.has(organisationId)) throw new NotFoundError(things.organisation);
  return libraryPolicies(ctx.db, organisationId);
}

/** Owners and admins change the policies; audited with what changed. */
export async function changeLibraryPolicies(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: Partial<LibraryPolicies>,
): Promise<LibraryPolicies> {
  authorize(caller, 'manage', organisationLibrary(organisationId), things.organisation);
  const before = await libraryPolicies(ctx.db, organisationId);
  const changed = (Object.keys(input) as (keyof LibraryPolicies)[]).filter(
    (name) => input[name] !== undefined && input[name] !== before[name],
  );
  if (changed.length === 0) return before;
  await ctx.database.transaction(async (trx) => {
    await repo.updateLibraryPolicies(
      trx,
      organisationId,
      {
        ...(input.selfServiceReveal === undefined
          ? {}
          : { self_service_reveal: input.selfServiceReveal ? 1 : 0 }),
        ...(input.requireApproval === undefined
          ? {}
          : { require_approval: input.requireApproval ? 1 : 0 }),
        ...(input.notifyAssignee === undefined
          ? {}
          : { notify_assignee: input.notifyAssignee ? 1 : 0 }),
        ...(input.notifyAdmins === undefined ? {} : { notify_admins: input.notifyAdmins ? 1 : 0 }),
        ...(input.ensureRecoveryPassword === undefined
          ? {}
          : { ensure_recovery_password: input.ensureRecoveryPassword ? 1 : 0 }),
        ...(input.approvalLifetimeHours === undefined
          ? {}
          : { approval_lifetime_hours: input.approvalLifetimeHours }),
      },
      ctx.now().toISOString(),
    );
    await ctx.audit.record(trx, caller, {
      action: 'organisation_policies_changed',
      organisationId,
      details: Object.fromEntries(changed.map((name) => [name, input[name]])),
    });
  });
  return libraryPolicies(ctx.db, organisationId);
}
