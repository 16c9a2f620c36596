import type { Database } from '../../../db/database.js';
import { signinPoliciesOf, type SigninPolicyRow } from './repo.js';

/** The table the policies live in: a write to it may change them. */
const sourceTables = ['organisations'] as const;
/** Organisations kept; more than this only cost their query again. */
const capacity = 10_000;

/**
 * The organisations' sign-in policies, which every request to an organisation's library checks,
 * kept like the signed-in state (see BrowserDirectory): an entry holds until the organisations
 * table may have changed (Database.changeStamp), so a policy changed by any process counts on
 * the next request, and an organisation's library costs no query a personal library does not.
 */
export class SigninPolicyCache {
  readonly #database: Database;
  readonly #known = new Map<string, { stamp: string; row: SigninPolicyRow | undefined }>();

  constructor(database: Database) {
    this.#database = database;
  }

  async find(organisationId: string): Promise<SigninPolicyRow | undefined> {
    // Taken before reading: a change made while the query runs leaves the entry already stale.
    const stamp = this.#database.changeStamp(sourceTables);
    const kept = this.#known.get(organisationId);
    if (stamp !== undefined && kept?.stamp === stamp) return kept.row;
    const row = await signinPoliciesOf(this.#database.db, organisationId);
    if (stamp !== undefined) {
      this.#known.delete(organisationId);
      if (this.#known.size >= capacity) {
        const oldest = this.#known.keys().next();
        if (!oldest.done) this.#known.delete(oldest.value);
      }
      this.#known.set(organisationId, { stamp, row });
    }
    return row;
  }
}
