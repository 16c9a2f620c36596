import { findUserById } from '../../accounts/users-repo.js';
import type { ServerContext } from '../../context.js';
import { hasPasskeys } from './passkeys.js';

/** Whether the account has a second factor: an authenticator app (TOTP) or a passkey. */
export async function hasSecondFactor(ctx: ServerContext, userId: string): Promise<boolean> {
  const user = await findUserById(ctx.db, userId);
  if (!user) return false;
  return user.totp_enabled_at !== null || (await hasPasskeys(ctx, userId));
}
