import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { Link } from '../router.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { PasswordField } from './password-field.js';

/**
 * Where a form asks for the password to confirm it is the person. An account an organisation's
 * sign-in service created has none: a sign-in of a few minutes ago stands in for it, so the form
 * says so and offers to sign in again and come back here.
 */
export function PasswordProof({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const me = useResource(cacheKey(account.id, '/auth/me'), () => auth.getMe(account.id));
  if (me.data?.account.hasPassword !== false) {
    return <PasswordField label={label} value={value} onChange={onChange} />;
  }
  const signInAgain = `/sign-in?${new URLSearchParams({
    email: account.email,
    next: window.location.pathname,
  }).toString()}`;
  return (
    <p className="hint">
      {t('security.noPassword.note')}{' '}
      <Link to={signInAgain}>{t('security.noPassword.signInAgain')}</Link>
    </p>
  );
}

/** What a form sends for the password: nothing for an account without one. */
export function typedPassword(value: string): string | undefined {
  return value === '' ? undefined : value;
}
