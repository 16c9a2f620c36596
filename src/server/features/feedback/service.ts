import { redactRecoveryPasswords } from '../../../bitlocker/recovery-password.js';
import { newId } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { RequestInfo } from '../../request-info.js';
import type { ServerContext } from '../../context.js';
import { ForbiddenError, UnauthenticatedError } from '../../errors.js';
import { findUserById } from '../../accounts/users-repo.js';
import * as repo from './repo.js';

export interface FeedbackInput {
  article: string;
  helpful: boolean;
  languageQuality?: number | undefined;
  reasons?: string[] | undefined;
  comment?: string | undefined;
  language?: string | undefined;
}

/** Every answer counts, from anyone: generous for people, tight for a script filling the table. */
const feedbackPolicy = { free: 30, quietMinutes: 60 };

/**
 * Stores an answer to a help article's feedback form. Anonymous on purpose: no account, no IP
 * address is kept with it (the IP only feeds the rate limit).
 */
export async function submitFeedback(
  ctx: ServerContext,
  info: RequestInfo,
  input: FeedbackInput,
): Promise<{ id: string; keysRemoved: number }> {
  await ctx.limiter.count(`feedback-ip:${info.ipAddress}`, feedbackPolicy);
  // Feedback is read by administrators and kept for ever: a key typed into it never reaches disk.
  const { text, redacted } = redactRecoveryPasswords(input.comment?.trim() ?? '');
  const comment = text;
  const id = newId();
  await repo.insertFeedback(ctx.db, {
    id,
    article: input.article,
    helpful: input.helpful ? 1 : 0,
    language_quality: input.languageQuality ?? null,
    reasons: JSON.stringify([...new Set(input.reasons ?? [])]),
    comment: comment === '' ? null : comment,
    language: input.language ?? null,
    user_id: null,
    created_at: ctx.now().toISOString(),
  });
  return { id, keysRemoved: redacted };
}

async function requireServerAdmin(ctx: ServerContext, caller: Caller): Promise<void> {
  const user = await findUserById(ctx.db, caller.accountId);
  if (!user) throw new UnauthenticatedError();
  if (!ctx.config.serverAdmins.includes(user.email_normalized)) {
    throw new ForbiddenError({
      en: 'Only server administrators can read feedback (the server names them with --server-admins).',
      nb: 'Bare serveradministratorer kan lese tilbakemeldinger (serveren oppgir dem med --server-admins).',
    });
  }
}

export async function feedbackReport(
  ctx: ServerContext,
  caller: Caller,
  query: { article?: string | undefined; limit: number },
) {
  await requireServerAdmin(ctx, caller);
  const [rows, totals] = await Promise.all([
    repo.latestFeedback(ctx.db, { article: query.article, limit: query.limit }),
    repo.totalsByArticle(ctx.db),
  ]);
  return {
    items: rows.map((row) => ({
      id: row.id,
      article: row.article,
      helpful: row.helpful === 1,
      languageQuality: row.language_quality,
      reasons: JSON.parse(row.reasons) as string[],
      comment: row.comment,
      language: row.language,
      createdAt: row.created_at,
    })),
    summary: {
      byArticle: totals.map((total) => ({
        article: total.article,
        answers: total.answers,
        helpful: total.helpful,
        notHelpful: total.answers - total.helpful,
        averageLanguageQuality:
          total.average_language_quality === null
            ? null
            : Math.round(total.average_language_quality * 100) / 100,
      })),
    },
  };
}
