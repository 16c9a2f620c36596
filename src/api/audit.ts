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

// ---------------------------------------------------------------------------------------------
// An organisation's audit

const isoTime = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .describe('An ISO 8601 time (or a date: its first moment, UTC)');

export const organisationAuditQuery = z.object({
  actor: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .optional()
    .describe('The account id or email address of who acted'),
  action: z
    .string()
    .regex(
      /^[a-z_]+(,[a-z_]+)*$/,
      'one action such as key_revealed, or several separated by commas',
    )
    .max(400)
    .optional(),
  device: z.string().trim().min(1).max(400).optional().describe("A device's id or name (any case)"),
  keyId: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('A Key ID or its first characters (at least 4 hex digits)'),
  from: isoTime.optional().describe('Events at or after this time'),
  to: isoTime.optional().describe('Events before this time'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'use the nextCursor of the previous page')
    .optional(),
  format: z.enum(['json', 'csv']).optional().describe('csv: every matching event as a CSV file'),
});

const person = z
  .object({ accountId: z.string(), email: z.string(), displayName: z.string() })
  .nullable();

export const organisationAuditEvent = z
  .object({
    id: z.string(),
    seq: z.number().int().describe('The position in the audit hash chain'),
    at: z.string(),
    action: z.string(),
    actor: person,
    subject: person.describe('Whom the event is about (the assigned person, the member added)'),
    ipAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OrganisationAuditEvent' });

export const organisationAuditResponse = z.object({
  events: z.array(organisationAuditEvent),
  nextCursor: z.string().nullable(),
});

export type OrganisationAuditQuery = z.output<typeof organisationAuditQuery>;
export type OrganisationAuditEvent = z.output<typeof organisationAuditEvent>;
