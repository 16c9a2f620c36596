import { organisationOwner, userOwner, type Owner } from '../db/owners.js';
import type { MembershipRole } from '../db/schema.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import { things } from './messages.js';
import type { Wording } from './messages.js';

/**
 * Who may do what in a key library. A library is a person's own or an organisation's; every key,
 * file, vault and find path asks `authorize` and queries with the owner it answers, so no
 * feature decides access on its own.
 */
export type Library =
  { kind: 'personal'; accountId: string } | { kind: 'organisation'; organisationId: string };

export const libraryActions = [
  'read',
  'reveal',
  'write',
  'delete',
  'export',
  'manage',
  'audit',
] as const;
/**
 * `read`: list, search and see keys and devices (never a password); `reveal`: a password or a
 * file that holds one; `write`: add, import, record backups, change details; `delete`: to the
 * bin, restore, purge; `export`: every password at once; `manage`: members, policies and marking
 * keys for rotation; `audit`: the library's audit log and coverage report (never a key).
 */
export type LibraryAction = (typeof libraryActions)[number];

/** The account a request acts for and its organisation roles: what every kind of caller has. */
export interface Principal {
  accountId: string;
  memberships: ReadonlyMap<string, MembershipRole>;
}

/** What an organisation role may do in the organisation's library. */
const organisationGrants: Record<MembershipRole, readonly LibraryAction[]> = {
  owner: libraryActions,
  admin: libraryActions,
  // The helpdesk finds keys and reads them out to the person at the recovery screen; losing or
  // handing over the whole library stays with owners and admins.
  helpdesk: ['read', 'reveal', 'write'],
  // Members see their own devices only (see `assignee`), and reveal when the organisation's
  // self-service policy allows it.
  member: ['read', 'reveal'],
  // Auditors read the organisation's audit and reports, never a key.
  auditor: ['audit'],
};

/** Roles that manage an organisation's members and policies. */
export const managingRoles: readonly MembershipRole[] = ['owner', 'admin'];

/**
 * Roles that approve or deny the helpdesk's reveal requests when the organisation requires
 * approval: a second person with the right to reveal anyway, never the requester.
 */
export const approvingRoles: readonly MembershipRole[] = ['owner', 'admin', 'helpdesk'];

/** The caller's access to a library for one action: what repos filter by. */
export interface LibraryAccess {
  library: Library;
  /** The owner columns every query of this library filters on. */
  owner: Owner;
  /** The caller's role when the library is an organisation's. */
  role: MembershipRole | undefined;
  /**
   * When set, only rows on devices assigned to this account are in reach (an organisation's
   * members); undefined: the whole library.
   */
  assignee: string | undefined;
}

export function personalLibrary(accountId: string): Library {
  return { kind: 'personal', accountId };
}

export function organisationLibrary(organisationId: string): Library {
  return { kind: 'organisation', organisationId };
}

export function libraryOwner(library: Library): Owner {
  return library.kind === 'personal'
    ? userOwner(library.accountId)
    : organisationOwner(library.organisationId);
}

function grantsIn(principal: Principal, library: Library): readonly LibraryAction[] {
  if (library.kind === 'personal') {
    return library.accountId === principal.accountId ? libraryActions : [];
  }
  const role = principal.memberships.get(library.organisationId);
  return role === undefined ? [] : organisationGrants[role];
}

/** Whether the principal may do `action` in the library (no error; for answers that list). */
export function may(principal: Principal, action: LibraryAction, library: Library): boolean {
  return grantsIn(principal, library).includes(action);
}

/**
 * The access for `action`, or an error: a caller who can neither read the library nor do
 * `action` in it gets the same not-found answer as for a missing item (`missing` names it), so a
 * library nobody showed them stays invisible; a caller who reads it but may not do this gets a
 * refusal.
 */
export function authorize(
  principal: Principal,
  action: LibraryAction,
  library: Library,
  missing: Wording = things.key,
): LibraryAccess {
  const grants = grantsIn(principal, library);
  if (!grants.includes('read') && !grants.includes(action)) throw new NotFoundError(missing);
  if (!grants.includes(action)) {
    throw new ForbiddenError(
      action === 'reveal'
        ? {
            en: 'Your role in this organisation does not allow revealing keys.',
            nb: 'Rollen din i denne organisasjonen gir ikke lov til å vise nøkler.',
          }
        : {
            en: 'Your role in this organisation does not allow this.',
            nb: 'Rollen din i denne organisasjonen gir ikke lov til dette.',
          },
    );
  }
  const role =
    library.kind === 'organisation' ? principal.memberships.get(library.organisationId) : undefined;
  return {
    library,
    owner: libraryOwner(library),
    role,
    assignee: role === 'member' ? principal.accountId : undefined,
  };
}

/** Whether a row of the library (on a device assigned to `deviceAssignee`) is in reach. */
export function inReach(access: LibraryAccess, deviceAssignee: string | null): boolean {
  return access.assignee === undefined || deviceAssignee === access.assignee;
}
