import type { Insertable, Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared-query.js';
import type {
  DatabaseSchema,
  MembershipRole,
  OrganisationInvitationsTable,
} from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

export async function insertOrganisation(
  db: Db,
  organisation: { id: string; name: string; at: string },
): Promise<void> {
  await db
    .insertInto('organisations')
    .values({
      id: organisation.id,
      name: organisation.name,
      created_at: organisation.at,
      updated_at: organisation.at,
    })
    .execute();
}

/**
 * Marks the organisation changed. Inside a transaction this also serialises membership changes
 * (a row lock on PostgreSQL, the write lock on SQLite), so two admins cannot each remove "the
 * other" last owner at the same moment.
 */
export async function lockOrganisation(db: Db, organisationId: string, at: string) {
  await db
    .updateTable('organisations')
    .set({ updated_at: at })
    .where('id', '=', organisationId)
    .execute();
}

/** The organisation as seen by one of its members; undefined for everybody else. */
export function organisationOfMember(db: Db, organisationId: string, userId: string) {
  return db
    .selectFrom('organisations')
    .innerJoin('memberships', 'memberships.organisation_id', 'organisations.id')
    .select(['organisations.id', 'organisations.name', 'organisations.created_at', 'role'])
    .where('organisations.id', '=', organisationId)
    .where('memberships.user_id', '=', userId)
    .executeTakeFirst();
}

export function organisationsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('organisations')
    .innerJoin('memberships', 'memberships.organisation_id', 'organisations.id')
    .select(['organisations.id', 'organisations.name', 'organisations.created_at', 'role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('organisations.name')
    .execute();
}

function memberQuery(db: Db, organisationId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'memberships.user_id',
      'users.email',
      'users.display_name',
      'memberships.role',
      'memberships.created_at',
    ])
    .where('memberships.organisation_id', '=', organisationId);
}

export function membersOf(db: Db, organisationId: string) {
  return memberQuery(db, organisationId).orderBy('users.display_name').execute();
}

export function memberOf(db: Db, organisationId: string, userId: string) {
  return memberQuery(db, organisationId)
    .where('memberships.user_id', '=', userId)
    .executeTakeFirst();
}

export async function insertMembership(
  db: Db,
  membership: { organisationId: string; userId: string; role: MembershipRole; at: string },
): Promise<void> {
  await db
    .insertInto('memberships')
    .values({
      organisation_id: membership.organisationId,
      user_id: membership.userId,
      role: membership.role,
      created_at: membership.at,
      updated_at: membership.at,
    })
    .execute();
}

export async function updateMembershipRole(
  db: Db,
  organisationId: string,
  userId: string,
  role: MembershipRole,
  at: string,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ role, updated_at: at })
    .where('organisation_id', '=', organisationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteMembership(db: Db, organisationId: string, userId: string) {
  await db
    .deleteFrom('memberships')
    .where('organisation_id', '=', organisationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function countOwners(db: Db, organisationId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('organisation_id', '=', organisationId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface LibraryPolicyRow {
  self_service_reveal: number;
  require_approval: number;
  approval_lifetime_hours: number;
  notify_assignee: number;
  notify_admins: number;
  ensure_recovery_password: number;
}

export function libraryPoliciesOf(
  db: Db,
  organisationId: string,
): Promise<LibraryPolicyRow | undefined> {
  return db
    .selectFrom('organisations')
    .select([
      'self_service_reveal',
      'require_approval',
      'approval_lifetime_hours',
      'notify_assignee',
      'notify_admins',
      'ensure_recovery_password',
    ])
    .where('id', '=', organisationId)
    .executeTakeFirst();
}

export async function updateLibraryPolicies(
  db: Db,
  organisationId: string,
  changes: Partial<LibraryPolicyRow>,
  at: string,
): Promise<void> {
  await db
    .updateTable('organisations')
    .set({ ...changes, updated_at: at })
    .where('id', '=', organisationId)
    .execute();
}

// Sign-in policies: kept apart from the library policies above.

export interface SigninPolicyRow {
  second_factor_roles: string;
  step_up_minutes: number | null;
}

// Every request to an organisation's library reads these: prepared once.
const signinPoliciesQuery = preparedQuery((db, values: { organisationId: string }) =>
  db
    .selectFrom('organisations')
    .select(['second_factor_roles', 'step_up_minutes'])
    .where('id', '=', values.organisationId),
);

export async function signinPoliciesOf(
  db: Db,
  organisationId: string,
): Promise<SigninPolicyRow | undefined> {
  const [row] = await signinPoliciesQuery(db, { organisationId }, undefined);
  return row;
}

export async function updateSigninPolicies(
  db: Db,
  organisationId: string,
  changes: Partial<SigninPolicyRow>,
  at: string,
): Promise<void> {
  await db
    .updateTable('organisations')
    .set({ ...changes, updated_at: at })
    .where('id', '=', organisationId)
    .execute();
}

export async function organisationName(db: Db, organisationId: string): Promise<string> {
  const row = await db
    .selectFrom('organisations')
    .select('name')
    .where('id', '=', organisationId)
    .executeTakeFirst();
  return row?.name ?? '';
}

/** The members holding one of `roles`, with what a message to them needs. */
export function membersWithRoles(db: Db, organisationId: string, roles: readonly MembershipRole[]) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.display_name', 'users.language', 'memberships.role'])
    .where('memberships.organisation_id', '=', organisationId)
    .where('memberships.role', 'in', roles)
    .orderBy('users.id')
    .execute();
}

export async function userName(db: Db, userId: string): Promise<string> {
  const row = await db
    .selectFrom('users')
    .select('display_name')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.display_name ?? '';
}

export async function insertInvitation(
  db: Db,
  row: Insertable<OrganisationInvitationsTable>,
): Promise<void> {
  await db.insertInto('organisation_invitations').values(row).execute();
}

export async function deleteInvitationFor(db: Db, organisationId: string, emailNormalized: string) {
  await db
    .deleteFrom('organisation_invitations')
    .where('organisation_id', '=', organisationId)
    .where('email_normalized', '=', emailNormalized)
    .execute();
}

/** Removes one invitation; answers what it was, or undefined when there was none. */
export function deleteInvitation(db: Db, organisationId: string, invitationId: string) {
  return db
    .deleteFrom('organisation_invitations')
    .where('organisation_id', '=', organisationId)
    .where('id', '=', invitationId)
    .returning(['email', 'role'])
    .executeTakeFirst();
}

export function invitationsForEmail(db: Db, emailNormalized: string) {
  return db
    .selectFrom('organisation_invitations')
    .selectAll()
    .where('email_normalized', '=', emailNormalized)
    .orderBy('created_at')
    .execute();
}

/** An invitation with the name and address of the account that sent it (if it still exists). */
function invitationsWithInviter(db: Db, organisationId: string) {
  return db
    .selectFrom('organisation_invitations as invitation')
    .leftJoin('users as inviter', 'inviter.id', 'invitation.invited_by_user_id')
    .select([
      'invitation.id',
      'invitation.organisation_id',
      'invitation.email',
      'invitation.role',
      'invitation.invited_by_user_id',
      'invitation.created_at',
      'invitation.expires_at',
      'inviter.display_name as inviter_name',
      'inviter.email as inviter_email',
    ])
    .where('invitation.organisation_id', '=', organisationId);
}

export type InvitationRow = NonNullable<Awaited<ReturnType<typeof findInvitation>>>;

export function findInvitation(db: Db, organisationId: string, invitationId: string) {
  return invitationsWithInviter(db, organisationId)
    .where('invitation.id', '=', invitationId)
    .executeTakeFirst();
}

export function invitationsOf(db: Db, organisationId: string) {
  return invitationsWithInviter(db, organisationId)
    .orderBy('invitation.email_normalized')
    .execute();
}

/** Gives the invitation a new expiry; answers it, or undefined when there is none. */
export function renewInvitation(
  db: Db,
  organisationId: string,
  invitationId: string,
  expiresAt: string,
) {
  return db
    .updateTable('organisation_invitations')
    .set({ expires_at: expiresAt })
    .where('organisation_id', '=', organisationId)
    .where('id', '=', invitationId)
    .returning(['organisation_id', 'email', 'role', 'expires_at'])
    .executeTakeFirst();
}
