import { normalizeKeyIdPrefix, ProtectorIdError } from '../../../bitlocker/protector-id.js';
import { normalizeEmail } from '../../accounts/email.js';
import { findUserByEmail } from '../../accounts/users-repo.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { authorize, organisationLibrary } from '../../policies.js';
import { csvTable } from '../../../text/csv.js';
import {
  eventsOfOrganisation,
  type OrganisationAuditFilter,
  type OrganisationAuditRow,
} from './repo.js';
import type { OrganisationAuditEvent, OrganisationAuditQuery } from './schema.js';
import { fieldReasons, refusals, things } from '../../messages.js';

/**
 * An organisation's audit: every event recorded about its library, members and policies, for
 * its owners, admins and auditors. The events are the ones in the hash chain that
 * `keyhold admin verify-audit` checks; this only reads them.
 */

/** The shortest Key ID prefix the filter takes, as in key search. */
const minimumKeyIdPrefix = 4;
/** Events a CSV export holds at most; narrow the filter for older ones. */
export const maximumCsvEvents = 100_000;
const csvBatch = 1000;

export function decodeAuditCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const seq = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new ValidationError(refusals.cursorFromPreviousPage, [
      {
        field: 'before',
        reason: {
          en: 'use the nextCursor of the previous page',
          nb: 'bruk nextCursor fra forrige side',
        },
      },
    ]);
  }
  return seq;
}

export function encodeAuditCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

/** The filter in the database's terms; undefined when it can match nothing (an unknown actor). */
async function filterOf(
  ctx: ServerContext,
  query: OrganisationAuditQuery,
): Promise<OrganisationAuditFilter | undefined> {
  const filter: OrganisationAuditFilter = {};
  if (query.actor !== undefined) {
    if (query.actor.includes('@')) {
      const user = await findUserByEmail(ctx.db, normalizeEmail(query.actor));
      if (!user) return undefined;
      filter.actorId = user.id;
    } else {
      filter.actorId = query.actor;
    }
  }
  if (query.action !== undefined) filter.actions = query.action.split(',');
  if (query.device !== undefined) filter.device = query.device;
  if (query.keyId !== undefined) {
    let prefix: string;
    try {
      prefix = normalizeKeyIdPrefix(query.keyId);
    } catch (error) {
      if (!(error instanceof ProtectorIdError)) throw error;
      throw new ValidationError(error.wording, [
        { field: 'keyId', reason: fieldReasons.notAKeyId },
      ]);
    }
    if (prefix.length < minimumKeyIdPrefix) {
      throw new ValidationError(
        {
          en: `Give at least ${minimumKeyIdPrefix} characters of the Key ID.`,
          nb: `Oppgi minst ${minimumKeyIdPrefix} tegn av nøkkel-ID-en.`,
        },
        [
          {
            field: 'keyId',
            reason: {
              en: `at least ${minimumKeyIdPrefix} hex digits`,
              nb: `minst ${minimumKeyIdPrefix} heksadesimale sifre`,
            },
          },
        ],
      );
    }
    filter.keyIdPrefix = prefix;
  }
  if (query.from !== undefined) filter.from = new Date(query.from).toISOString();
  if (query.to !== undefined) filter.to = new Date(query.to).toISOString();
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new ValidationError(
      {
        en: 'The time range is empty: "from" must be before "to".',
        nb: 'Tidsrommet er tomt: «from» må være før «to».',
      },
      [{ field: 'to', reason: { en: 'must be after from', nb: 'må være etter from' } }],
    );
  }
  return filter;
}

function person(id: string | null, email: string | null, displayName: string | null) {
  return id === null ? null : { accountId: id, email: email ?? '', displayName: displayName ?? '' };
}

function eventView(row: OrganisationAuditRow): OrganisationAuditEvent {
  return {
    id: row.id,
    seq: row.seq,
    at: row.at,
    action: row.action,
    actor: person(row.actor_user_id, row.actor_email, row.actor_display_name),
    subject: person(row.subject_user_id, row.subject_email, row.subject_display_name),
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** One page of the organisation's events, newest first. */
export async function listOrganisationAudit(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  query: OrganisationAuditQuery,
): Promise<{ events: OrganisationAuditEvent[]; nextCursor: string | null }> {
  authorize(caller, 'audit', organisationLibrary(organisationId), things.organisation);
  const filter = await filterOf(ctx, query);
  if (!filter) return { events: [], nextCursor: null };
  const rows = await eventsOfOrganisation(ctx.db, ctx.database.dialect, organisationId, filter, {
    beforeSeq: decodeAuditCursor(query.before),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map(eventView),
    nextCursor: rows.length > query.limit && last ? encodeAuditCursor(last.seq) : null,
  };
}

const csvColumns = [
  'seq',
  'at',
  'action',
  'actorEmail',
  'actorAccountId',
  'subjectEmail',
  'deviceName',
  'keyId',
  'reason',
  'reasonText',
  'ticket',
  'ipAddress',
  'userAgent',
  'details',
] as const;

type CsvRow = Record<(typeof csvColumns)[number], string | number | null>;

function text(details: Record<string, unknown>, field: string): string | null {
  const value = details[field];
  return typeof value === 'string' ? value : null;
}

function csvRow(row: OrganisationAuditRow): CsvRow {
  const details = JSON.parse(row.details) as Record<string, unknown>;
  return {
    seq: row.seq,
    at: row.at,
    action: row.action,
    actorEmail: row.actor_email,
    actorAccountId: row.actor_user_id,
    subjectEmail: row.subject_email,
    deviceName: text(details, 'deviceName'),
    keyId: text(details, 'protectorId'),
    reason: text(details, 'reason'),
    reasonText: text(details, 'reasonText'),
    ticket: text(details, 'ticket'),
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    details: row.details,
  };
}

/** Every matching event (newest first, at most `maximumCsvEvents`) as CSV. */
export async function organisationAuditCsv(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  query: OrganisationAuditQuery,
): Promise<{ fileName: string; body: string }> {
  authorize(caller, 'audit', organisationLibrary(organisationId), things.organisation);
  const filter = await filterOf(ctx, query);
  const rows: CsvRow[] = [];
  let beforeSeq = decodeAuditCursor(query.before);
  while (filter && rows.length < maximumCsvEvents) {
    const batch = await eventsOfOrganisation(ctx.db, ctx.database.dialect, organisationId, filter, {
      beforeSeq,
      limit: Math.min(csvBatch, maximumCsvEvents - rows.length),
    });
    for (const row of batch) rows.push(csvRow(row));
    const last = batch.at(-1);
    if (!last || batch.length < csvBatch) break;
    beforeSeq = last.seq;
  }
  const day = ctx.now().toISOString().slice(0, 10);
  return { fileName: `keyhold-audit-${day}.csv`, body: csvTable(csvColumns, rows) };
}
