import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { userOf } from './account-view.js';
import { confirmPassword } from './credentials.js';
import { hashRecoveryCode, newRecoveryCode, recoveryCodeCount } from './recovery-codes.js';
import * as repo from './repo.js';

type Db = Kysely<DatabaseSchema>;

/** A new set of codes, replacing the old set (used or not). */
export async function issueRecoveryCodes(ctx: ServerContext, trx: Db, userId: string) {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await repo.replaceRecoveryCodes(trx, userId, codes.map(hashRecoveryCode), ctx.now());
  return codes;
}

export async function regenerateRecoveryCodes(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { password?: string | undefined },
): Promise<string[]> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.password);
  if (user.totp_enabled_at === null) {
    throw new ValidationError({
      en: 'Turn on TOTP first: recovery codes stand in for its codes.',
      nb: 'Slå på autentiseringsappen først: gjenopprettingskodene erstatter kodene fra den.',
    });
  }
  return ctx.database.transaction(async (trx) => {
    const codes = await issueRecoveryCodes(ctx, trx, user.id);
    await ctx.audit.record(trx, caller, {
      action: 'recovery_codes_created',
    });
    return codes;
  });
}
