import { z } from 'zod';
import { plainMultilineText } from './plain-text.js';

export const feedbackBody = z.object({
  article: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-/]{0,119}$/, 'the article slug, e.g. "find-your-recovery-key"'),
  helpful: z.boolean(),
  languageQuality: z.number().int().min(1).max(5).optional(),
  reasons: z
    .array(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a reason code such as "too-technical"'))
    .max(10)
    .optional(),
  comment: plainMultilineText(z.string().max(2000)).optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language tag such as en or nb')
    .optional(),
});

export const feedbackCreated = z.object({
  id: z.string(),
  keysRemoved: z
    .number()
    .int()
    .describe('recovery keys found in the comment and removed before it was stored'),
});

export const reportQuery = z.object({
  article: z.string().max(120).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const reportResponse = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      article: z.string(),
      helpful: z.boolean(),
      languageQuality: z.number().int().nullable(),
      reasons: z.array(z.string()),
      comment: z.string().nullable(),
      language: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
  summary: z.object({
    byArticle: z.array(
      z.object({
        article: z.string(),
        answers: z.number().int(),
        helpful: z.number().int(),
        notHelpful: z.number().int(),
        averageLanguageQuality: z.number().nullable(),
      }),
    ),
  }),
});

export type FeedbackInput = z.input<typeof feedbackBody>;
export type FeedbackCreated = z.output<typeof feedbackCreated>;
export type FeedbackReport = z.output<typeof reportResponse>;
