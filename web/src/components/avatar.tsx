import type { BrowserAccount } from '../api/auth.js';
import { initials } from '../format.js';

/** Initials on a colour derived from the account id, so accounts are told apart at a glance. */
export function Avatar({
  account,
  size = 'normal',
}: {
  account: Pick<BrowserAccount, 'id' | 'email' | 'displayName'>;
  size?: 'normal' | 'large';
}) {
  let hash = 0;
  for (const char of account.id) hash = (hash * 31 + char.charCodeAt(0)) % 6;
  return (
    <span className={`avatar avatar-${size} avatar-tone-${hash}`} aria-hidden="true">
      {initials(account.displayName, account.email)}
    </span>
  );
}
