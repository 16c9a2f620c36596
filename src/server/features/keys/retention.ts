import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../../context.js';
import { purgeKeysDeletedBefore } from './repo.js';

const purgeIntervalMs = 60 * 60_000;

/**
 * Purges for good the keys deleted more than `deletedKeyRetentionDays` ago, with their sealed
 * passwords and backups; returns how many. Unset (the default), nothing is ever purged.
 */
export async function purgeExpiredKeys(ctx: ServerContext): Promise<number> {
  const days = ctx.config.deletedKeyRetentionDays;
  if (days === undefined) return 0;
  const before = new Date(ctx.now().getTime() - days * 86_400_000).toISOString();
  const purged = await ctx.database.transaction(async (trx) => {
    const ids = await purgeKeysDeletedBefore(trx, before);
    if (ids.length > 0) {
      await ctx.audit.record(trx, {
        action: 'keys_purged',
        details: { keys: ids.length, deletedBefore: before, retentionDays: days },
      });
    }
    return ids;
  });
  return purged.length;
}

/** Runs the purge at start and every hour while the server runs, when a retention is set. */
export function startRetention(app: FastifyInstance): void {
  const ctx = app.keyhold;
  if (ctx.config.deletedKeyRetentionDays === undefined) return;
  const run = () => {
    purgeExpiredKeys(ctx).catch((error: unknown) => {
      app.log.warn({ err: error }, 'purging deleted keys failed');
    });
  };
  app.addHook('onReady', () => {
    run();
    return Promise.resolve();
  });
  const timer = setInterval(run, purgeIntervalMs);
  timer.unref();
  app.addHook('onClose', () => {
    clearInterval(timer);
    return Promise.resolve();
  });
}
