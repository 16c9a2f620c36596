import type { Owner } from '../../../db/owners.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import type { Library, LibraryAction } from '../../policies.js';
import { requireOpenVault } from '../vault/index.js';
import { keyEvent, keyInReach, summaryOrThrow } from './key-access.js';
import * as repo from './keys-repo.js';
import { keySummary, type KeySummary } from './summary.js';

/** Where a key is in its life: in the vault or out, in the bin or back. */

type Db = Parameters<typeof repo.updateKey>[0];

async function changeKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  change: {
    /** What the policy must allow. */
    needs: LibraryAction;
    /** Nothing to do when the key is already in the wanted state. */
    done: (row: repo.KeySummaryRow) => boolean;
    before?: (row: repo.KeySummaryRow) => Promise<void>;
    apply: (trx: Db, owner: Owner, row: repo.KeySummaryRow, at: string) => Promise<void>;
    action: string;
  },
): Promise<KeySummary> {
  const { access, row } = await keyInReach(ctx, caller, library, change.needs, id);
  if (change.done(row)) return keySummary(row);
  await change.before?.(row);
  await ctx.database.transaction(async (trx) => {
    await change.apply(trx, access.owner, row, ctx.now().toISOString());
    await ctx.audit.record(trx, caller, {
      action: change.action,
      ...keyEvent(caller, access, row),
    });
  });
  return summaryOrThrow(ctx.db, access.owner, id);
}

/**
 * Moves a key into the vault; no unlock needed to put it in. The vault is a place in the library,
 * not another copy of the key, so it is not recorded as a backup.
 */
export function moveKeyToVault(ctx: ServerContext, caller: Caller, library: Library, id: string) {
  return changeKey(ctx, caller, library, id, {
    needs: 'write',
    done: (row) => row.in_vault_at !== null,
    apply: async (trx, owner, row, at) => {
      await repo.updateKey(trx, owner, row.id, { in_vault_at: at, updated_at: at });
    },
    action: 'key_moved_to_vault',
  });
}

/** Takes a key out of the vault; the vault must be open. */
export function moveKeyOutOfVault(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
) {
  return changeKey(ctx, caller, library, id, {
    needs: 'write',
    done: (row) => row.in_vault_at === null,
    before: () => requireOpenVault(ctx, caller),
    apply: async (trx, owner, row, at) => {
      await repo.updateKey(trx, owner, row.id, { in_vault_at: null, updated_at: at });
    },
    action: 'key_moved_out_of_vault',
  });
}

/**
 * A soft delete: the key moves to the bin and can be restored until it is purged. A key in the
 * vault needs the vault open, as reading it would: otherwise anyone at a signed-in browser could
 * remove a key the person chose to guard.
 */
export function deleteKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  input: { confirmSaved?: boolean | undefined },
) {
  return changeKey(ctx, caller, library, id, {
    needs: 'delete',
    done: (row) => row.deleted_at !== null,
    before: async (row) => {
      if (input.confirmSaved !== true) {
        throw new ValidationError(
          {
            en:
              'Confirm that this key is saved somewhere else (or that the drive no longer exists): ' +
              'send {"confirmSaved": true}.',
            nb:
              'Bekreft at denne nøkkelen er lagret et annet sted (eller at stasjonen ikke finnes lenger): ' +
              'send {"confirmSaved": true}.',
          },
          [
            {
              field: 'confirmSaved',
              reason: {
                en: 'must be true to delete a key',
                nb: 'må være true for å slette en nøkkel',
              },
            },
          ],
        );
      }
      if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
    },
    apply: async (trx, owner, row, at) => {
      await repo.updateKey(trx, owner, row.id, { deleted_at: at, updated_at: at });
    },
    action: 'key_deleted',
  });
}

export function restoreKey(ctx: ServerContext, caller: Caller, library: Library, id: string) {
  return changeKey(ctx, caller, library, id, {
    needs: 'delete',
    done: (row) => row.deleted_at === null,
    apply: async (trx, owner, row, at) => {
      await repo.updateKey(trx, owner, row.id, { deleted_at: null, updated_at: at });
    },
    action: 'key_restored',
  });
}
