import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../state/session.js';
import { safeNext } from './sign-in.js';

/**
 * Where an organisation's sign-in service sends the person back. The page hands the answer to
 * the server from this origin, so the browser's own cookies (strict, never sent on the
 * provider's redirect) come along, and several accounts in this browser stay as they were.
 */
export function SsoReturnPage() {
  const { t } = useTranslation();
  const { signedIn } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const parameters = window.location.search;
    // The code is used once: keep it out of the history and off the screen.
    window.history.replaceState(null, '', '/sign-in/sso');
    auth.finishSsoSignIn(parameters).then(
      async (result) => {
        await signedIn(result.account);
        navigate(safeNext(result.next), { replace: true });
      },
      (caught: unknown) => {
        setError(caught);
      },
    );
  }, [signedIn]);

  return (
    <Page title={t('signIn.ssoTitle')} narrow>
      {error === undefined ? (
        <p className="loading" role="status">
          {t('signIn.ssoFinishing')}
        </p>
      ) : (
        <div className="card stack">
          <ErrorMessage error={error} />
          <p>
            <Link to="/sign-in?new=1">{t('signIn.ssoStartAgain')}</Link>
          </p>
        </div>
      )}
    </Page>
  );
}
