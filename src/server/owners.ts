import { sql, type ExpressionBuilder } from 'kysely';
import { membershipRoles, type MembershipRole } from '../db/schema.js';
import type { Owner } from '../db/owners.js';
import type { Caller } from './caller.js';

/** Roles that may see an organisation's rows, and those that may change them. */
export const everyRole: readonly MembershipRole[] = membershipRoles;
export const managingRoles: readonly MembershipRole[] = ['owner', 'admin'];

/** The organisations where the caller holds one of `roles`. */
export function organisationsWithRole(
  caller: Caller,
  roles: readonly MembershipRole[] = everyRole,
): string[] {
  return [...caller.memberships]
    .filter(([, role]) => roles.includes(role))
    .map(([organisationId]) => organisationId);
}

/**
 * A `where` filter for any table with owner_user_id / owner_org_id: the caller's own rows and
 * those of organisations where the caller holds one of `roles`.
 *
 *     db.selectFrom('devices').selectAll().where(ownedBy(caller)).execute()
 */
export function ownedBy(caller: Caller, roles: readonly MembershipRole[] = everyRole) {
  const organisationIds = organisationsWithRole(caller, roles);
  return <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>) =>
    eb.or([
      eb(sql.ref('owner_user_id'), '=', caller.accountId),
      ...(organisationIds.length > 0 ? [eb(sql.ref('owner_org_id'), 'in', organisationIds)] : []),
    ]);
}

/** Whether the caller may act for this owner with one of `roles` (for writes and reveals). */
export function mayActFor(
  caller: Caller,
  owner: Owner,
  roles: readonly MembershipRole[] = everyRole,
): boolean {
  if (owner.type === 'user') return owner.userId === caller.accountId;
  const role = caller.memberships.get(owner.organisationId);
  return role !== undefined && roles.includes(role);
}
