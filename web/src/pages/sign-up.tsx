import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../state/session.js';

const minimumPasswordLength = 10;

export function SignUpPage() {
  const { t } = useTranslation();
  const { signedIn } = useSession();
  const [displayName, setDisplayName] = useState('');
  // An invitation links here with the invited address filled in.
  const [email, setEmail] = useState(
    () => new URLSearchParams(window.location.search).get('email') ?? '',
  );
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const nameId = useId();
  const emailId = useId();
  const passwordId = useId();
  const passwordHintId = useId();

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    auth
      .signUp({ displayName: displayName.trim(), email: email.trim(), password })
      .then(async (answer) => {
        if (answer.status === 'confirmation_sent') {
          setSentTo(answer.email);
          return;
        }
        await signedIn(answer.account);
        navigate('/keys');
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  if (sentTo !== undefined) {
    return (
      <Page title={t('signUp.checkMailTitle')} narrow>
        <div className="card stack" role="status">
          <p>{t('signUp.checkMail', { email: sentTo })}</p>
          <p>{t('signUp.checkMailHint')}</p>
          <Link to="/sign-in">{t('signUp.toSignIn')}</Link>
        </div>
      </Page>
    );
  }

  return (
    <Page title={t('signUp.title')} intro={<p>{t('signUp.intro')}</p>} narrow>
      <form className="card stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor={nameId}>{t('signUp.displayName')}</label>
          <input
            id={nameId}
            autoComplete="name"
            required
            maxLength={100}
            value={displayName}
            onChange={(event) => {
              setDisplayName(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={emailId}>{t('signUp.email')}</label>
          <input
            id={emailId}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>{t('signUp.password')}</label>
          <div className="input-with-button">
            <input
              id={passwordId}
              type={showPassword ? 'text' : 'password'}
              autoComplete="new-password"
              required
              minLength={minimumPasswordLength}
              aria-describedby={passwordHintId}
              value={password}
              onChange={(event) => {
                setPassword(event.target.value);
              }}
            />
            <button
              type="button"
              className="button button-quiet"
              aria-pressed={showPassword}
              onClick={() => {
                setShowPassword((value) => !value);
              }}
            >
              {t('signUp.showPassword')}
            </button>
          </div>
          <p className="hint" id={passwordHintId}>
            {t('signUp.passwordHint', { count: minimumPasswordLength })}
          </p>
        </div>
        <ErrorMessage error={error} />
        <div className="form-actions">
          <Link to="/sign-in">{t('signUp.haveAccount')}</Link>
          <button type="submit" className="button button-primary" disabled={busy}>
            {t('signUp.submit')}
          </button>
        </div>
      </form>
    </Page>
  );
}
