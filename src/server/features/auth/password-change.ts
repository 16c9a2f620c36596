import { revokeSessionsOfUser } from '../../accounts/sessions-repo.js';
import { updateUser } from '../../accounts/users-repo.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { revokeAllTokensOfUser } from '../device-auth/index.js';
import { userOf } from './account-view.js';
import { confirmPassword, requireStrongPassword } from './credentials.js';

export async function changePassword(
  ctx: ServerContext,
  caller: SessionCaller,
  input: { currentPassword?: string | undefined; newPassword: string },
): Promise<number> {
  const user = await userOf(ctx, caller);
  await confirmPassword(ctx, caller, user, input.currentPassword);
  requireStrongPassword(input.newPassword, { email: user.email, displayName: user.display_name });
  if (input.newPassword === input.currentPassword) {
    throw new ValidationError({
      en: 'The new password is the same as the current one.',
      nb: 'Det nye passordet er det samme som det du har nå.',
    });
  }
  const passwordHash = await ctx.passwords.hash(input.newPassword);
  const now = ctx.now();
  return ctx.database.transaction(async (trx) => {
    await updateUser(trx, user.id, {
      password_hash: passwordHash,
      password_changed_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    const revoked = await revokeSessionsOfUser(trx, user.id, {
      reason: 'password_changed',
      now,
      except: caller.sessionId,
    });
    const tokensRevoked = await revokeAllTokensOfUser(trx, user.id, now);
    await ctx.audit.record(trx, caller, {
      action: 'password_changed',
      details: { sessionsEnded: revoked, tokensRevoked },
    });
    return revoked;
  });
}
