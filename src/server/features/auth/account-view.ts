import type { Kysely } from 'kysely';
import { findUserById, type UserRow } from '../../accounts/users-repo.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { UnauthenticatedError } from '../../errors.js';
import { countUnusedRecoveryCodes } from './repo.js';

export interface AccountView {
  id: string;
  email: string;
  displayName: string;
  createdAt: string;
  totpEnabled: boolean;
  recoveryCodesRemaining: number;
  emailConfirmed: boolean;
  hasPassword: boolean;
  language: 'en' | 'nb';
}

export async function accountView(db: Kysely<DatabaseSchema>, user: UserRow): Promise<AccountView> {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    createdAt: user.created_at,
    totpEnabled: user.totp_enabled_at !== null,
    recoveryCodesRemaining:
      user.totp_enabled_at === null ? 0 : await countUnusedRecoveryCodes(db, user.id),
    emailConfirmed: user.email_unconfirmed_since === null,
    hasPassword: hasOwnPassword(user),
    language: user.language === 'nb' ? 'nb' : 'en',
  };
}

/**
 * An account an organisation's sign-in service created has no password (an empty hash): the
 * provider is how it signs in.
 */
export function hasOwnPassword(user: UserRow): boolean {
  return user.password_hash !== '';
}

/** The caller's own account row; gone (deleted meanwhile) means signed out. */
export async function userOf(ctx: ServerContext, caller: Caller): Promise<UserRow> {
  const user = await findUserById(ctx.db, caller.accountId);
  if (!user) throw new UnauthenticatedError();
  return user;
}
