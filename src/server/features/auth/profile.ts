import { membershipsOfUser, updateUser } from '../../accounts/users-repo.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { accountView, userOf } from './account-view.js';

export async function me(ctx: ServerContext, caller: Caller) {
  const user = await userOf(ctx, caller);
  const memberships = await membershipsOfUser(ctx.db, caller.accountId);
  return {
    account: await accountView(ctx.db, user),
    memberships: memberships.map((m) => ({
      organisationId: m.organisation_id,
      organisationName: m.organisation_name,
      role: m.role,
    })),
  };
}

/** Changes the display name and the language of the account's mail; audited. */
export async function updateMe(
  ctx: ServerContext,
  caller: Caller,
  input: { displayName?: string | undefined; language?: 'en' | 'nb' | undefined },
) {
  const user = await userOf(ctx, caller);
  const fields = [
    ...(input.displayName === undefined ? [] : ['displayName']),
    ...(input.language === undefined ? [] : ['language']),
  ];
  if (fields.length === 0) return me(ctx, caller);
  await ctx.database.transaction(async (trx) => {
    await updateUser(trx, user.id, {
      ...(input.displayName === undefined ? {} : { display_name: input.displayName }),
      ...(input.language === undefined ? {} : { language: input.language }),
      updated_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, caller, { action: 'profile_changed', details: { fields } });
  });
  return me(ctx, caller);
}
