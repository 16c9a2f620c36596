import type { FastifyInstance } from 'fastify';
import { pruneChallenges } from './features/auth/index.js';
import { purgeExpiredKeys } from './features/keys/index.js';
import { pruneSsoSigninStates } from './features/sso/index.js';
import { say } from '../text/terminal-language.js';
import { operatorLogMessages } from './log-messages.js';

const pruneIntervalMs = 60 * 60_000;
const purgeIntervalMs = 60 * 60_000;

/**
 * Everything the server does on its own while it runs, started here and stopped when the app
 * closes, so no feature keeps a timer the app does not know of:
 * - the SQLite WAL copied into the database file on a thread of its own (Database);
 * - expired sign-in challenges, unanswered organisation sign-ins and credential counters
 *   pruned every hour;
 * - keys deleted longer ago than `deletedKeyRetentionDays` purged at start and every hour
 *   (only when a retention is set);
 * - with an SMTP server configured, the mail outbox delivered (retried with backoff) and sent
 *   mail older than a week removed every hour.
 * Short-lived commands (`keyhold admin`) open the same context and start none of them.
 */
export function startJobs(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const stopCheckpoints = ctx.database.checkpointInBackground((problem) => {
    process.emitWarning(`checkpointing the SQLite WAL failed: ${problem}`);
  });

  const timers: NodeJS.Timeout[] = [];
  const every = (intervalMs: number, job: () => void) => {
    const timer = setInterval(job, intervalMs);
    timer.unref();
    timers.push(timer);
  };

  const stopMail = ctx.mail.start(app.log);

  every(pruneIntervalMs, () => {
    Promise.all([
      ctx.limiter.prune(),
      pruneChallenges(ctx.db, ctx.now()),
      pruneSsoSigninStates(ctx.db, ctx.now().toISOString()),
      ctx.mail.prune(),
    ]).catch((error: unknown) => {
      app.log.warn({ err: error }, say(operatorLogMessages.pruneFailed));
    });
  });

  if (ctx.config.deletedKeyRetentionDays !== undefined) {
    const purge = () => {
      purgeExpiredKeys(ctx).catch((error: unknown) => {
        app.log.warn({ err: error }, say(operatorLogMessages.purgeFailed));
      });
    };
    app.addHook('onReady', () => {
      purge();
      return Promise.resolve();
    });
    every(purgeIntervalMs, purge);
  }

  app.addHook('onClose', async () => {
    for (const timer of timers) clearInterval(timer);
    await stopMail();
    await stopCheckpoints();
  });
}
