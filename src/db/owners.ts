/**
 * Who owns a row that belongs to someone: a person or an organisation. Tables that hold owned
 * rows (devices, volumes, recovery keys, sealed secrets) carry `owner_user_id` and `owner_org_id`
 * with a check that exactly one is set; these helpers convert between the two shapes so no
 * feature writes that logic twice.
 */
export type Owner =
  { type: 'user'; userId: string } | { type: 'organisation'; organisationId: string };

export interface OwnerColumns {
  owner_user_id: string | null;
  owner_org_id: string | null;
}

export function userOwner(userId: string): Owner {
  return { type: 'user', userId };
}

export function organisationOwner(organisationId: string): Owner {
  return { type: 'organisation', organisationId };
}

export function ownerColumns(owner: Owner): OwnerColumns {
  return owner.type === 'user'
    ? { owner_user_id: owner.userId, owner_org_id: null }
    : { owner_user_id: null, owner_org_id: owner.organisationId };
}

/** Reads the owner back from a row; rows without one belong to the server (sealed secrets only). */
export function ownerFromColumns(row: OwnerColumns): Owner | undefined {
  if (row.owner_user_id !== null) return userOwner(row.owner_user_id);
  if (row.owner_org_id !== null) return organisationOwner(row.owner_org_id);
  return undefined;
}

/** A stable text form, used in the associated data that binds ciphertexts to their owner. */
export function ownerLabel(owner: Owner | undefined): string {
  if (!owner) return 'server';
  return owner.type === 'user' ? `user:${owner.userId}` : `organisation:${owner.organisationId}`;
}
