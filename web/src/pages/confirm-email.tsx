import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { Link } from '../router.js';

/**
 * Where a confirmation link lands. The token is in the fragment (`#token=`), which the browser
 * never sends to a server, so it stays out of request logs; this page sends it once.
 */
export function ConfirmEmailPage() {
  const { t } = useTranslation();
  const [state, setState] = useState<'working' | 'confirmed' | 'failed'>('working');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
    // The token leaves the address bar, so it is not kept in the history or copied on.
    window.history.replaceState(null, '', window.location.pathname);
    auth
      .confirmEmail(token)
      .then((answer) => {
        setEmail(answer.email);
        setState('confirmed');
      })
      .catch((caught: unknown) => {
        setError(caught);
        setState('failed');
      });
  }, []);

  return (
    <Page title={t('confirmEmail.title')} narrow>
      <div className="card stack" role="status">
        {state === 'working' && <p>{t('confirmEmail.working')}</p>}
        {state === 'confirmed' && <p>{t('confirmEmail.confirmed', { email })}</p>}
        <ErrorMessage error={error} />
        <Link to="/sign-in">{t('confirmEmail.toSignIn')}</Link>
      </div>
    </Page>
  );
}
