import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

export function providerOf(db: Db, organisationId: string) {
  return db
    .selectFrom('organisation_sso')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

export async function saveProvider(
  db: Db,
  row: DatabaseSchema['organisation_sso'] extends infer T ? Omit<T, 'created_at'> : never,
): Promise<void> {
  await db
    .insertInto('organisation_sso')
    .values({ ...row, created_at: row.updated_at })
    .onConflict((oc) =>
      oc.column('organisation_id').doUpdateSet({
        issuer: row.issuer,
        client_id: row.client_id,
        enabled: row.enabled,
        require_sso: row.require_sso,
        default_role: row.default_role,
        groups_claim: row.groups_claim,
        group_roles: row.group_roles,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export function domainsOf(db: Db, organisationId: string) {
  return db
    .selectFrom('organisation_domains')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('domain')
    .execute();
}

export function domainClaim(db: Db, domain: string) {
  return db
    .selectFrom('organisation_domains')
    .selectAll()
    .where('domain', '=', domain)
    .executeTakeFirst();
}

export async function insertDomain(
  db: Db,
  claim: { domain: string; organisationId: string; at: string },
): Promise<void> {
  await db
    .insertInto('organisation_domains')
    .values({
      domain: claim.domain,
      organisation_id: claim.organisationId,
      verified_at: null,
      verified_by: null,
      created_at: claim.at,
    })
    .execute();
}

export async function markDomainVerified(
  db: Db,
  claim: { domain: string; organisationId: string; userId: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('organisation_domains')
    .set({ verified_at: claim.at, verified_by: claim.userId })
    .where('domain', '=', claim.domain)
    .where('organisation_id', '=', claim.organisationId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteDomain(
  db: Db,
  domain: string,
  organisationId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('organisation_domains')
    .where('domain', '=', domain)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The organisation, provider and claim behind an email domain, verified or not. */
export function signinRouteForDomain(db: Db, domain: string) {
  return db
    .selectFrom('organisation_domains')
    .innerJoin('organisations', 'organisations.id', 'organisation_domains.organisation_id')
    .leftJoin(
      'organisation_sso',
      'organisation_sso.organisation_id',
      'organisation_domains.organisation_id',
    )
    .select([
      'organisations.id as organisation_id',
      'organisations.name as organisation_name',
      'organisation_domains.verified_at',
      'organisation_sso.enabled',
      'organisation_sso.require_sso',
    ])
    .where('organisation_domains.domain', '=', domain)
    .executeTakeFirst();
}

export function organisationName(db: Db, organisationId: string) {
  return db
    .selectFrom('organisations')
    .select('name')
    .where('id', '=', organisationId)
    .executeTakeFirst();
}

export async function insertSigninState(
  db: Db,
  row: DatabaseSchema['sso_signin_states'] extends infer T ? T : never,
): Promise<void> {
  await db.insertInto('sso_signin_states').values(row).execute();
}

/**
 * Takes the waiting sign-in for this state and browser out of the table: one statement, so of
 * any number of answers carrying the same state exactly one gets the row.
 */
export function takeSigninState(
  db: Db,
  stateHash: string,
  browserBindingHash: string,
  now: string,
) {
  return db
    .deleteFrom('sso_signin_states')
    .where('state_hash', '=', stateHash)
    .where('browser_binding_hash', '=', browserBindingHash)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

export async function pruneSigninStates(db: Db, now: string): Promise<void> {
  await db.deleteFrom('sso_signin_states').where('expires_at', '<=', now).execute();
}

export function identityOwner(db: Db, organisationId: string, issuer: string, subject: string) {
  return db
    .selectFrom('sso_identities')
    .select('user_id')
    .where('organisation_id', '=', organisationId)
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function linkIdentity(
  db: Db,
  link: { organisationId: string; issuer: string; subject: string; userId: string; at: string },
): Promise<void> {
  await db
    .insertInto('sso_identities')
    .values({
      organisation_id: link.organisationId,
      issuer: link.issuer,
      subject: link.subject,
      user_id: link.userId,
      created_at: link.at,
      last_signin_at: link.at,
    })
    .onConflict((oc) =>
      oc.columns(['organisation_id', 'issuer', 'subject']).doUpdateSet({ last_signin_at: link.at }),
    )
    .execute();
}

export function membershipRole(db: Db, organisationId: string, userId: string) {
  return db
    .selectFrom('memberships')
    .select('role')
    .where('organisation_id', '=', organisationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}
