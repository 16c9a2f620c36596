import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { callerOf } from '../../caller.js';
import { requestInfo } from '../../request-info.js';
import { feedbackBody, feedbackCreated, reportQuery, reportResponse } from './schema.js';
import { feedbackReport, submitFeedback } from './service.js';

const tags = ['Feedback'];

/** The reader's first language ("nb-NO,nb;q=0.9,en" -> "nb-NO"), kept to judge translations. */
function preferredLanguage(header: string | undefined): string | undefined {
  const first = header?.split(',')[0]?.split(';')[0]?.trim();
  return first && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(first) ? first : undefined;
}

export function feedbackRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/api/v1/feedback',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: "Answer a help article's feedback form (no account needed; rate-limited)",
        body: feedbackBody,
        response: { 201: feedbackCreated },
      },
    },
    async (request, reply) => {
      const language =
        request.body.language ?? preferredLanguage(request.headers['accept-language']);
      const created = await submitFeedback(ctx, requestInfo(request), {
        ...request.body,
        language,
      });
      return reply.status(201).send(created);
    },
  );

  routes.get(
    '/api/v1/admin/feedback',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Collected feedback and totals per article (server administrators)',
        querystring: reportQuery,
        response: { 200: reportResponse },
      },
    },
    (request) => feedbackReport(ctx, callerOf(request), request.query),
  );
}
