import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import * as passkeys from '../api/passkeys.js';
import { ApiError } from '../api/client.js';
import { Avatar } from '../components/avatar.js';
import { EmailText } from '../components/email-text.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { PasswordField } from '../components/password-field.js';
import { Link, navigate, useLocation } from '../router.js';
import { useSession, type KnownAccount } from '../state/session.js';

type Step =
  | { kind: 'email' }
  | { kind: 'provider'; organisationName: string }
  | { kind: 'password'; email: string; displayName: string }
  | {
      kind: 'second-factor';
      email: string;
      displayName: string;
      challenge: string;
      methods: string[];
    };

/**
 * Where to go after sign-in: a path on this origin, as the browser itself reads it, else the
 * library. Parsing is what counts: the URL parser treats `\` as `/` and drops tabs and line
 * breaks, so `/\evil.example` or `/%09/evil.example` name another host however they start.
 */
export function safeNext(next: string | null): string {
  const fallback = '/keys';
  if (!next?.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return fallback;
  }
  if (url.origin !== window.location.origin || url.pathname.startsWith('//')) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

function AccountPicker({ onAnother }: { onAnother: () => void }) {
  const { t } = useTranslation();
  const { accounts, switchTo, forget } = useSession();
  const { query } = useLocation();

  const choose = (account: KnownAccount) => {
    if (account.signedIn) {
      switchTo(account.id);
      navigate(safeNext(query.get('next')));
    } else {
      navigate(`/sign-in?email=${encodeURIComponent(account.email)}`);
    }
  };

  return (
    <Page
      title={t('signIn.chooseTitle')}
      intro={<p>{accounts.length > 1 ? t('signIn.chooseIntro') : t('signIn.chooseIntroOne')}</p>}
      narrow
    >
      <ul className="picker" aria-label={t('signIn.accountsLabel')}>
        {accounts.map((account) => (
          <li key={account.id} className="picker-item">
            <button
              type="button"
              className="account-row picker-choice"
              onClick={() => {
                choose(account);
              }}
            >
              <Avatar account={account} />
              <span className="account-row-text">
                <span className="account-name">{account.displayName}</span>
                <span className="account-email">
                  <EmailText email={account.email} />
                </span>
              </span>
              <span className={account.signedIn ? 'badge badge-ok' : 'badge'}>
                {account.signedIn ? t('accounts.signedIn') : t('accounts.signedOut')}
              </span>
            </button>
            {account.signedIn ? null : (
              <button
                type="button"
                className="button button-quiet button-small"
                onClick={() => {
                  void forget(account.id);
                }}
              >
                {t('signIn.forget')}
                <span className="visually-hidden"> {account.email}</span>
              </button>
            )}
          </li>
        ))}
        <li className="picker-item">
          <button type="button" className="account-row picker-choice" onClick={onAnother}>
            <span className="avatar avatar-add" aria-hidden="true">
              +
            </span>
            <span className="account-name">{t('signIn.useAnother')}</span>
          </button>
        </li>
      </ul>
      <FindKeyHint />
    </Page>
  );
}

function FindKeyHint() {
  const { t } = useTranslation();
  return (
    <p className="callout find-hint">
      {t('signIn.recoveryScreen')} <Link to="/find">{t('signIn.findKey')}</Link>
    </p>
  );
}

export function SignInPage() {
  const { t } = useTranslation();
  const { accounts, signedIn } = useSession();
  const { query } = useLocation();
  const presetEmail = query.get('email');
  const next = query.get('next');
  const [showPicker, setShowPicker] = useState(!query.has('new') && !presetEmail);
  const [step, setStep] = useState<Step>({ kind: 'email' });
  const [email, setEmail] = useState(presetEmail ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecoveryCode, setUseRecoveryCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const emailId = useId();

  // An address of an organisation with its own sign-in service signs in there.
  const goToProvider = (sso: { organisationName: string; redirectTo: string }) => {
    setStep({ kind: 'provider', organisationName: sso.organisationName });
    window.location.assign(sso.redirectTo);
  };
  const codeId = useId();

  // Coming from the picker with a signed-out account: go straight to "Hi, <name>".
  const identifiedPreset = useRef(false);
  useEffect(() => {
    if (!presetEmail || identifiedPreset.current) return;
    identifiedPreset.current = true;
    auth.identify(presetEmail, next).then(
      (identified) => {
        if (identified.sso) {
          setStep({ kind: 'provider', organisationName: identified.sso.organisationName });
          window.location.assign(identified.sso.redirectTo);
          return;
        }
        setStep({ kind: 'password', email: presetEmail, displayName: identified.displayName });
      },
      (caught: unknown) => {
        setError(caught);
      },
    );
  }, [presetEmail, next]);

  if (showPicker && accounts.length > 0) {
    return (
      <AccountPicker
        onAnother={() => {
          setShowPicker(false);
        }}
      />
    );
  }

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const finish = async (result: auth.SignInResult, current: Step & { email: string }) => {
    if (result.status === 'second_factor_required') {
      setStep({
        kind: 'second-factor',
        email: current.email,
        displayName: 'displayName' in current ? current.displayName : current.email,
        challenge: result.challenge,
        methods: result.methods,
      });
      return;
    }
    setPassword('');
    await signedIn(result.account);
    navigate(safeNext(query.get('next')));
  };

  const submitEmail = (event: SubmitEvent) => {
    event.preventDefault();
    void run(async () => {
      const trimmed = email.trim();
      const identified = await auth.identify(trimmed, next);
      if (identified.sso) {
        goToProvider(identified.sso);
        return;
      }
      setStep({ kind: 'password', email: trimmed, displayName: identified.displayName });
    });
  };

  const submitPassword = (event: SubmitEvent) => {
    event.preventDefault();
    if (step.kind !== 'password') return;
    void run(async () => {
      await finish(await auth.signIn({ email: step.email, password }), step);
    });
  };

  const submitCode = (event: SubmitEvent) => {
    event.preventDefault();
    if (step.kind !== 'second-factor') return;
    void run(async () => {
      const entered = code.trim();
      const answer = useRecoveryCode
        ? { challenge: step.challenge, recoveryCode: entered }
        : { challenge: step.challenge, totp: entered.replace(/\s/g, '') };
      const result = await auth.signInSecondFactor(answer);
      setCode('');
      await signedIn(result.account);
      navigate(safeNext(query.get('next')));
    });
  };

  const signInWithPasskey = () => {
    void run(async () => {
      const result = await passkeys.signInWithPasskey();
      await signedIn(result.account);
      navigate(safeNext(query.get('next')));
    });
  };

  const passkeySecondFactor = () => {
    if (step.kind !== 'second-factor') return;
    void run(async () => {
      const result = await passkeys.secondFactorWithPasskey(step.challenge);
      await signedIn(result.account);
      navigate(safeNext(query.get('next')));
    });
  };

  const startOver = () => {
    setStep({ kind: 'email' });
    setPassword('');
    setCode('');
    setError(undefined);
  };

  const wrongPassword = error instanceof ApiError && error.code === 'invalid_credentials';
  const expired = error instanceof ApiError && error.code === 'signin_expired';

  if (step.kind === 'provider') {
    return (
      <Page title={t('signIn.title')} narrow>
        <p className="loading" role="status">
          {t('signIn.toProvider', { organisation: step.organisationName })}
        </p>
      </Page>
    );
  }

  if (step.kind === 'email') {
    return (
      <Page title={t('signIn.title')} intro={<p>{t('signIn.intro')}</p>} narrow>
        <form className="card stack" onSubmit={submitEmail} noValidate={false}>
          <div className="field">
            <label htmlFor={emailId}>{t('signIn.email')}</label>
            <input
              id={emailId}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => {
                setEmail(event.target.value);
              }}
            />
          </div>
          <ErrorMessage error={error} />
          <div className="form-actions">
            <Link to="/sign-up">{t('signIn.createAccount')}</Link>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('common.next')}
            </button>
          </div>
        </form>
        <p>
          <button type="button" className="button" disabled={busy} onClick={signInWithPasskey}>
            {t('signIn.withPasskey')}
          </button>
        </p>
        {accounts.length > 0 ? (
          <p>
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setShowPicker(true);
              }}
            >
              {t('signIn.chooseTitle')}
            </button>
          </p>
        ) : null}
        <FindKeyHint />
      </Page>
    );
  }

  const greeting = t('signIn.greeting', { name: step.displayName });
  const identity = (
    <div className="identity-chip">
      <Avatar account={{ id: step.email, email: step.email, displayName: step.displayName }} />
      <span>{step.email}</span>
      <button type="button" className="link-button" onClick={startOver}>
        {t('signIn.notYou')}
      </button>
    </div>
  );

  if (step.kind === 'password') {
    return (
      <Page title={greeting} narrow>
        <form className="card stack" onSubmit={submitPassword}>
          {identity}
          <input type="email" hidden readOnly autoComplete="username" value={step.email} />
          <PasswordField
            label={t('signIn.password')}
            value={password}
            onChange={setPassword}
            autoFocus
            invalid={wrongPassword}
          />
          {wrongPassword ? (
            <p className="alert alert-error" role="alert">
              {t('signIn.wrongPassword')}
            </p>
          ) : (
            <ErrorMessage error={error} />
          )}
          <div className="form-actions">
            <Link to="/sign-up">{t('signIn.createAccount')}</Link>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('signIn.submit')}
            </button>
          </div>
        </form>
      </Page>
    );
  }

  const withPasskey = step.methods.includes('passkey');
  const withCode = step.methods.includes('totp');
  return (
    <Page title={t('signIn.totpTitle')} narrow>
      {withPasskey ? (
        <div className="card stack">
          {withCode ? null : identity}
          <div>
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={passkeySecondFactor}
            >
              {t('signIn.passkeySecondFactor')}
            </button>
          </div>
          {withCode ? null : <ErrorMessage error={error} />}
        </div>
      ) : null}
      {withCode ? (
        <form className="card stack" onSubmit={submitCode}>
          {identity}
          {withPasskey ? <p>{t('signIn.passkeyOrCode')}</p> : null}
          <div className="field">
            <label htmlFor={codeId}>
              {useRecoveryCode ? t('signIn.recoveryCode') : t('signIn.totpCode')}
            </label>
            <input
              id={codeId}
              inputMode={useRecoveryCode ? 'text' : 'numeric'}
              autoComplete="one-time-code"
              required
              autoFocus
              value={code}
              onChange={(event) => {
                setCode(event.target.value);
              }}
            />
            <p className="hint">
              {useRecoveryCode ? t('signIn.recoveryCodeHint') : t('signIn.totpHint')}
            </p>
          </div>
          {wrongPassword || expired ? (
            <p className="alert alert-error" role="alert">
              {expired ? t('signIn.expired') : t('signIn.wrongCode')}
            </p>
          ) : (
            <ErrorMessage error={error} />
          )}
          <div className="form-actions">
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setUseRecoveryCode((value) => !value);
                setCode('');
              }}
            >
              {useRecoveryCode ? t('signIn.useTotp') : t('signIn.useRecoveryCode')}
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('signIn.verify')}
            </button>
          </div>
        </form>
      ) : null}
    </Page>
  );
}
