import { randomToken, sha256Hex } from '../../../crypto/tokens.js';
import { idPattern, newId } from '../../../db/ids.js';
import { normalizeEmail } from '../../accounts/email.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { authorize, organisationLibrary } from '../../policies.js';
import { organisationMember } from '../keys/index.js';
import * as repo from './repo.js';
import type { EnrollmentToken } from './schema.js';
import { fieldReasons, things } from '../../messages.js';

/**
 * Enrollment tokens: what an organisation's owners and admins hand to its computers (through a
 * deployment tool) so each can enroll itself. The secret is shown once and stored as a hash.
 */

/** A prefix that makes a leaked token easy to recognise (and to search for in a repository). */
export const enrollmentTokenPrefix = 'khe_';

function managing(caller: Caller, organisationId: string) {
  return authorize(caller, 'manage', organisationLibrary(organisationId), things.organisation);
}

function statusOf(row: repo.EnrollmentTokenRow, now: Date): EnrollmentToken['status'] {
  if (row.revoked_at !== null) return 'revoked';
  if (row.uses >= row.max_uses) return 'used-up';
  if (Date.parse(row.expires_at) <= now.getTime()) return 'expired';
  return 'usable';
}

function tokenView(row: repo.EnrollmentTokenRow, now: Date): EnrollmentToken {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    assignee:
      row.assign_user_id !== null
        ? { accountId: row.assign_user_id, email: row.assignee_email ?? '' }
        : null,
    revokedAt: row.revoked_at,
    status: statusOf(row, now),
  };
}

export async function createEnrollmentToken(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: {
    name: string;
    expiresInDays: number;
    maxUses: number;
    assigneeEmail?: string | undefined;
  },
): Promise<{ token: EnrollmentToken; secret: string }> {
  managing(caller, organisationId);
  const assignee =
    input.assigneeEmail === undefined
      ? null
      : ((await organisationMember(ctx.db, organisationId, normalizeEmail(input.assigneeEmail))) ??
        null);
  if (input.assigneeEmail !== undefined && assignee === null) {
    throw new ValidationError(
      {
        en: 'Enrolled devices can only be assigned to a member of the organisation: add the person first.',
        nb: 'Innrullerte enheter kan bare tildeles et medlem av organisasjonen: legg til personen først.',
      },
      [{ field: 'assigneeEmail', reason: fieldReasons.notAMember }],
    );
  }
  const secret = `${enrollmentTokenPrefix}${randomToken(32)}`;
  const now = ctx.now();
  const id = newId();
  await ctx.database.transaction(async (trx) => {
    await repo.insertToken(trx, {
      id,
      organisation_id: organisationId,
      name: input.name,
      token_hash: sha256Hex(secret),
      max_uses: input.maxUses,
      assign_user_id: assignee,
      created_by: caller.accountId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString(),
    });
    await ctx.audit.record(trx, caller, {
      action: 'enrollment_token_created',
      organisationId,
      details: { tokenId: id, name: input.name, maxUses: input.maxUses },
    });
  });
  const row = await repo.findToken(ctx.db, organisationId, id);
  if (!row) throw new Error(`enrollment token ${id} was not stored`);
  return { token: tokenView(row, ctx.now()), secret };
}

export async function listEnrollmentTokens(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
): Promise<EnrollmentToken[]> {
  managing(caller, organisationId);
  const now = ctx.now();
  return (await repo.listTokens(ctx.db, organisationId)).map((row) => tokenView(row, now));
}

export async function revokeEnrollmentToken(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  tokenId: string,
): Promise<EnrollmentToken> {
  managing(caller, organisationId);
  const row = idPattern.test(tokenId)
    ? await repo.findToken(ctx.db, organisationId, tokenId)
    : undefined;
  if (!row) throw new NotFoundError(things.enrollmentToken);
  if (row.revoked_at === null) {
    await ctx.database.transaction(async (trx) => {
      await repo.revokeToken(trx, organisationId, tokenId, ctx.now().toISOString());
      await ctx.audit.record(trx, caller, {
        action: 'enrollment_token_revoked',
        organisationId,
        details: { tokenId, name: row.name },
      });
    });
  }
  const revoked = await repo.findToken(ctx.db, organisationId, tokenId);
  if (!revoked) throw new NotFoundError(things.enrollmentToken);
  return tokenView(revoked, ctx.now());
}
