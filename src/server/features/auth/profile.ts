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

export async function updateMe(ctx: ServerContext, caller: Caller, input: { displayName: string }) {
  const user = await userOf(ctx, caller);
  await ctx.database.transaction(async (trx) => {
    await updateUser(trx, user.id, {
      display_name: input.displayName,
      updated_at: ctx.now().toISOString(),
    });
    await ctx.audit.record(trx, caller, {
      action: 'profile_changed',
      details: { fields: ['displayName'] },
    });
  });
  return me(ctx, caller);
}
