import type { FastifyInstance } from 'fastify';
import { purgeKeysDeletedBefore } from './repo.js';

const purgeIntervalMs = 60 * 60_000;

/**
 * When `deletedKeyRetentionDays` is set, keys deleted longer ago than that are purged for good:
 * at start and every hour. Unset (the default), deleted keys stay restorable forever.
 */
export function startRetention(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const days = ctx.config.deletedKeyRetentionDays;
  if (days === undefined) return;
  const purge = async () => {
    const before = new Date(ctx.now().getTime() - days * 86_400_000).toISOString();
    const purged = await purgeKeysDeletedBefore(ctx.db, before);
    if (purged.length > 0) {
      await ctx.audit.record(ctx.db, {
        action: 'keys_purged',
        details: { keys: purged.length, deletedBefore: before, retentionDays: days },
      });
    }
  };
  const run = () => {
    purge().catch((error: unknown) => {
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
