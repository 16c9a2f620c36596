import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { callerOf } from '../../caller.js';
import { ValidationError } from '../../errors.js';
import { sendCsv } from '../../downloads.js';
import { orgParams } from '../../../api/orgs.js';
import { listOrganisationAudit, organisationAuditCsv } from './organisation.js';
import {
  auditQuery,
  auditResponse,
  organisationAuditQuery,
  organisationAuditResponse,
} from './schema.js';
import { refusals } from '../../messages.js';

/** Cursors are opaque to clients; inside they are the chain position to continue below. */
function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const seq = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new ValidationError(refusals.cursorFromPreviousPage);
  }
  return seq;
}

export function auditRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/audit',
    {
      config: { access: 'browser' },
      schema: {
        tags: ['Audit'],
        summary: "The selected account's own audit events, newest first",
        querystring: auditQuery,
        response: { 200: auditResponse },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { limit, before } = request.query;
      const rows = await ctx.audit.listForUser(ctx.db, caller.accountId, {
        beforeSeq: decodeCursor(before),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page.map((row) => ({
          id: row.id,
          at: row.at,
          action: row.action,
          actorAccountId: row.actor_user_id,
          ipAddress: row.ip_address,
          userAgent: row.user_agent,
          details: JSON.parse(row.details) as Record<string, unknown>,
        })),
        nextCursor:
          rows.length > limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
      };
    },
  );

  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/orgs/:orgId/audit',
    {
      config: { access: 'browser' },
      schema: {
        tags: ['Audit'],
        summary:
          "An organisation's audit events, newest first (owners, admins, auditors); ?format=csv or Accept: text/csv for a CSV file",
        params: orgParams,
        querystring: organisationAuditQuery,
        response: { 200: organisationAuditResponse },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const wantsCsv =
        request.query.format === 'csv' ||
        (request.query.format === undefined && (request.headers.accept ?? '').includes('text/csv'));
      if (!wantsCsv) {
        return listOrganisationAudit(ctx, caller, request.params.orgId, request.query);
      }
      const csv = await organisationAuditCsv(ctx, caller, request.params.orgId, request.query);
      return sendCsv(reply, csv);
    },
  );
}
