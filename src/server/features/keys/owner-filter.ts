import type { Compilable, Kysely } from 'kysely';
import type { Owner, OwnerColumns } from '../../../db/owners.js';
import { preparedQuery } from '../../../db/prepared-query.js';
import type { DatabaseSchema } from '../../../db/schema.js';

/** How the key library's queries filter by owner. */

export type Db = Kysely<DatabaseSchema>;

export type OwnerColumn = keyof OwnerColumns;

/** The owner column a query filters on, and its value; each has its own partial indexes. */
export function ownerFilter(owner: Owner): { column: OwnerColumn; value: string } {
  return owner.type === 'user'
    ? { column: 'owner_user_id', value: owner.userId }
    : { column: 'owner_org_id', value: owner.organisationId };
}

/**
 * A prepared lookup of one of an owner's rows: the owner column shapes the query's text, the
 * owner's id is one of its values.
 */
export function ownedRowQuery<Values extends object, Row>(
  build: (db: Db, values: Values, column: OwnerColumn, owner: string) => Compilable<Row>,
) {
  const query = preparedQuery((db, values: Values & { owner: string }, column: OwnerColumn) =>
    build(db, values, column, values.owner),
  );
  return async (db: Db, owner: Owner, values: Values): Promise<Row | undefined> => {
    const { column, value } = ownerFilter(owner);
    const [row] = await query(db, { ...values, owner: value }, column);
    return row;
  };
}
