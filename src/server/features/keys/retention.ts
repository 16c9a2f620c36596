import type { ServerContext } from '../../context.js';
import { serverActor } from '../audit/index.js';
import { purgeKeysDeletedBefore } from './repo.js';

/**
 * Purges for good the keys deleted more than `deletedKeyRetentionDays` ago, with their sealed
 * passwords, backups, the uploaded files and devices left with no other key; returns how many
 * keys. Unset (the default), nothing is ever purged. Once the purge has committed, the sealed
 * bytes are erased from the database's files too (see `Database.eraseDeletedRows`).
 */
export async function purgeExpiredKeys(ctx: ServerContext): Promise<number> {
  const days = ctx.config.deletedKeyRetentionDays;
  if (days === undefined) return 0;
  const before = new Date(ctx.now().getTime() - days * 86_400_000).toISOString();
  const purged = await ctx.database.transaction(async (trx) => {
    const removed = await purgeKeysDeletedBefore(trx, before);
    if (removed.keyIds.length > 0) {
      await ctx.audit.record(trx, serverActor, {
        action: 'keys_purged',
        details: {
          keys: removed.keyIds.length,
          files: removed.fileIds.length,
          devices: removed.deviceIds.length,
          deletedBefore: before,
          retentionDays: days,
        },
      });
    }
    return removed.keyIds.length;
  });
  if (purged > 0) {
    try {
      await ctx.database.eraseDeletedRows(['sealed_secrets']);
    } catch (error) {
      throw new Error(
        `purged ${purged} deleted keys, but erasing their sealed bytes from the database ` +
          'files failed',
        { cause: error },
      );
    }
  }
  return purged;
}
