import type { ExpressionBuilder, Kysely } from 'kysely';
import { newId } from '../db/ids.js';
import { insertRow } from '../db/prepared-query.js';
import { ownerColumns, ownerFromColumns, ownerLabel, type Owner } from '../db/owners.js';
import type { DatabaseSchema, SealedSecretsTable } from '../db/schema.js';
import { openValue, sealValue } from './envelope.js';
import type { Keyring } from './master-key.js';

/** The columns of a secret's row that opening it needs. */
export type SealedRow = Pick<
  SealedSecretsTable,
  'id' | 'key_version' | 'wrapped_key' | 'ciphertext'
>;

const serverOwned = { owner_user_id: null, owner_org_id: null };

/** Names one secret: what it is, the row it belongs to, and who owns that row. */
export interface SecretRef {
  kind: string;
  boundId: string;
  /** Undefined for the server's own secrets (e.g. the audit chain key). */
  owner: Owner | undefined;
}

/**
 * Stores secrets encrypted in `sealed_secrets`, one per (kind, boundId). Lookups also match the
 * owner, and the ciphertext is bound to row and owner, so a secret is only ever returned for the
 * row and owner it was sealed for. Callers check that the caller may see the row first.
 *
 *     await secrets.put(trx, { kind: 'recovery_password', boundId: keyId, owner }, password);
 *     const password = await secrets.getText(db, { kind: 'recovery_password', boundId: keyId, owner });
 */
export class SealedSecrets {
  constructor(
    private readonly keyring: Keyring,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores the secret, replacing the one this row already has. Returns the secret's id. */
  async put(
    db: Kysely<DatabaseSchema>,
    ref: SecretRef,
    plaintext: string | Buffer,
  ): Promise<string> {
    const existing = await db
      .selectFrom('sealed_secrets')
      .select(['id', 'owner_user_id', 'owner_org_id'])
      .where('kind', '=', ref.kind)
      .where('bound_id', '=', ref.boundId)
      .executeTakeFirst();
    if (!existing) return this.create(db, ref, plaintext);
    if (ownerLabel(ownerFromColumns(existing)) !== ownerLabel(ref.owner)) {
      throw new Error(`the ${ref.kind} secret of ${ref.boundId} belongs to another owner`);
    }
    await db
      .updateTable('sealed_secrets')
      .set({ ...this.seal(existing.id, ref, plaintext), updated_at: this.now().toISOString() })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }

  /**
   * Stores the secret only if the row has none yet, failing on the unique constraint otherwise,
   * so two processes creating the same secret at once never both believe theirs was kept.
   */
  async create(
    db: Kysely<DatabaseSchema>,
    ref: SecretRef,
    plaintext: string | Buffer,
  ): Promise<string> {
    const row = this.newRow(ref, plaintext);
    await insertRow(db, 'sealed_secrets', row);
    return row.id;
  }

  /** The row `create` would insert, for a caller that inserts it with other rows at once. */
  newRow(ref: SecretRef, plaintext: string | Buffer): SealedSecretsTable {
    return this.rowSealer()(ref, plaintext);
  }

  /**
   * newRow for many secrets at once (an import's): every row it makes is sealed with the master
   * key current when it was created, so the keyring looks at its file once, not per secret.
   */
  rowSealer(): (ref: SecretRef, plaintext: string | Buffer) => SealedSecretsTable {
    const masterKey = this.keyring.current();
    const at = this.now().toISOString();
    return (ref, plaintext) => {
      const id = newId();
      return {
        id,
        kind: ref.kind,
        bound_id: ref.boundId,
        ...(ref.owner ? ownerColumns(ref.owner) : serverOwned),
        ...this.seal(id, ref, plaintext, masterKey),
        created_at: at,
        updated_at: at,
      };
    };
  }

  private seal(
    secretId: string,
    ref: SecretRef,
    plaintext: string | Buffer,
    masterKey = this.keyring.current(),
  ) {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const sealed = sealValue(masterKey, { secretId, ...ref }, bytes);
    return {
      key_version: sealed.keyVersion,
      wrapped_key: sealed.wrappedKey,
      ciphertext: sealed.ciphertext,
    };
  }

  /** The secret, or undefined when there is none for this row and owner. */
  async get(db: Kysely<DatabaseSchema>, ref: SecretRef): Promise<Buffer | undefined> {
    const row = await db
      .selectFrom('sealed_secrets')
      .select(['id', 'key_version', 'wrapped_key', 'ciphertext'])
      .where('kind', '=', ref.kind)
      .where('bound_id', '=', ref.boundId)
      .where((eb) => ownedBy(eb, ref.owner))
      .executeTakeFirst();
    if (!row) return undefined;
    return this.open(ref, row);
  }

  /**
   * Opens a secret's row read together with the row it belongs to (one query for both); fails
   * unless it was sealed for `ref`.
   */
  open(ref: SecretRef, row: SealedRow): Buffer {
    return openValue(
      this.keyring.byVersion(row.key_version),
      { secretId: row.id, ...ref },
      { keyVersion: row.key_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext },
    );
  }

  async getText(db: Kysely<DatabaseSchema>, ref: SecretRef): Promise<string | undefined> {
    return (await this.get(db, ref))?.toString('utf8');
  }

  async remove(db: Kysely<DatabaseSchema>, ref: SecretRef): Promise<void> {
    await db
      .deleteFrom('sealed_secrets')
      .where('kind', '=', ref.kind)
      .where('bound_id', '=', ref.boundId)
      .where((eb) => ownedBy(eb, ref.owner))
      .execute();
  }
}

function ownedBy(
  eb: ExpressionBuilder<DatabaseSchema, 'sealed_secrets'>,
  owner: Owner | undefined,
) {
  const columns = owner ? ownerColumns(owner) : serverOwned;
  return eb.and([
    columns.owner_user_id === null
      ? eb('owner_user_id', 'is', null)
      : eb('owner_user_id', '=', columns.owner_user_id),
    columns.owner_org_id === null
      ? eb('owner_org_id', 'is', null)
      : eb('owner_org_id', '=', columns.owner_org_id),
  ]);
}
