import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { requestLanguage, type Wording } from './messages.js';

const readinessMessages = {
  ready: { en: 'Ready to serve.', nb: 'Klar til å betjene.' },
  database: {
    en: 'The database does not answer.',
    nb: 'Databasen svarer ikke.',
  },
  masterKey: {
    en: 'The master key does not open the secrets in the database.',
    nb: 'Hovednøkkelen åpner ikke hemmelighetene i databasen.',
  },
} satisfies Record<string, Wording>;

const checkState = z.enum(['ok', 'failed']);
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: checkState, masterKey: checkState }),
  message: z.string(),
});

/**
 * `GET /readyz`: whether this process can serve keys now, for a load balancer or an orchestrator.
 * It asks the database and opens the audit chain key with the master key, so it costs a query;
 * `GET /healthz` stays the cheap "the process answers" probe.
 */
export function readinessRoute(app: FastifyInstance): void {
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        hide: true,
        response: { 200: readiness, 503: readiness },
      },
    },
    async (request, reply) => {
      const ctx = app.keyhold;
      const database = await sql`select 1 as one`.execute(ctx.db).then(
        () => 'ok' as const,
        () => 'failed' as const,
      );
      const masterKey =
        database === 'failed'
          ? ('failed' as const)
          : await ctx.secrets
              .get(ctx.db, { kind: 'audit_chain_key', boundId: 'audit-chain', owner: undefined })
              .then(
                (key) => (key ? ('ok' as const) : ('failed' as const)),
                () => 'failed' as const,
              );
      const language = requestLanguage(request);
      const ready = database === 'ok' && masterKey === 'ok';
      const problem =
        database === 'failed' ? readinessMessages.database : readinessMessages.masterKey;
      // 503 tells a load balancer to send traffic elsewhere; the body says why.
      void reply.status(ready ? 200 : 503);
      return {
        status: ready ? ('ready' as const) : ('unavailable' as const),
        checks: { database, masterKey },
        message: (ready ? readinessMessages.ready : problem)[language],
      };
    },
  );
}
