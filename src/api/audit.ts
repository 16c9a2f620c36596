import { z } from 'zod';

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'use the nextCursor of the previous page')
    .optional(),
});

export const auditEvent = z
  .object({
    id: z.string(),
    at: z.string(),
    action: z.string(),
    actorAccountId: z.string().nullable(),
    ipAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

export const auditResponse = z.object({
  events: z.array(auditEvent),
  nextCursor: z.string().nullable(),
});

export type AuditEvent = z.output<typeof auditEvent>;
export type AuditPage = z.output<typeof auditResponse>;
