import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { requireOpenVault } from '../vault/index.js';
import type { Library } from '../../policies.js';
import * as repo from './repo.js';
import { keyInReach, librarySubject } from './key-access.js';

/**
 * Deletes a key in the bin for good, at the person's request: the same clean-up as the retention
 * purge (sealed password, backups, files and devices nothing else needs), then the sealed bytes
 * are erased from the database's files. Only a key already in the bin qualifies, so one mistaken
 * click cannot lose a key; a key in the vault needs the vault open, as deleting it did.
 */
export async function purgeKeyFromBin(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  input: { confirmPermanent?: boolean | undefined },
): Promise<void> {
  const { access, row } = await keyInReach(ctx, caller, library, 'delete', id);
  if (row.deleted_at === null) {
    throw new ConflictError({
      en: 'Only a key in the bin can be deleted permanently. Delete it first, then empty it from the bin.',
      nb: 'Bare en nøkkel i papirkurven kan slettes for godt. Slett den først, og tøm den så fra papirkurven.',
    });
  }
  if (input.confirmPermanent !== true) {
    throw new ValidationError(
      {
        en:
          'Confirm that this key should be gone for good (it cannot be restored afterwards): ' +
          'send {"confirmPermanent": true}.',
        nb:
          'Bekreft at denne nøkkelen skal slettes for godt (den kan ikke gjenopprettes etterpå): ' +
          'send {"confirmPermanent": true}.',
      },
      [
        {
          field: 'confirmPermanent',
          reason: {
            en: 'must be true to delete a key permanently',
            nb: 'må være true for å slette en nøkkel for godt',
          },
        },
      ],
    );
  }
  if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const purged = await ctx.database.transaction(async (trx) => {
    const removed = await repo.purgeDeletedKey(trx, access.owner, row.id);
    // Restored meanwhile by another request: nothing was removed, so nothing is recorded.
    if (removed.keyIds.length === 0) return false;
    await ctx.audit.record(trx, caller, {
      action: 'key_purged',
      ...librarySubject(access, row.device_assignee_id),
      details: {
        keyId: row.id,
        protectorId: parseProtectorId(row.protector_hex),
        deviceName: row.device_name,
        files: removed.fileIds.length,
        devices: removed.deviceIds.length,
      },
    });
    return true;
  });
  if (!purged) {
    throw new ConflictError({
      en: 'The key is no longer in the bin, so it was not deleted.',
      nb: 'Nøkkelen er ikke lenger i papirkurven, så den ble ikke slettet.',
    });
  }
  await ctx.database.eraseDeletedRows(['sealed_secrets']);
}
