import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { findKey, type ElsewherePlace, type FindAnswer } from '../api/keys.js';
import { allPlaces, ElsewhereList } from '../components/elsewhere-list.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import { Page } from '../components/page.js';
import { Link, navigate, useLocation } from '../router.js';
import { useSession } from '../state/session.js';

const shortIdLength = 8;

/** What people type from the screen: any case, maybe braces or dashes, maybe the whole ID. */
function normalizeTyped(input: string): string {
  return input.replace(/[{}\s-]/g, '').toUpperCase();
}

/** This page with what is typed so far, so signing in brings the person back to it. */
function findPath(prefix: string): string {
  return prefix === '' ? '/find' : `/find?${new URLSearchParams({ keyId: prefix }).toString()}`;
}

export function FindPage() {
  const { t } = useTranslation();
  const { active, accounts, switchTo } = useSession();
  const { query } = useLocation();
  // A Key ID typed before signing in comes back with the page (`/find?keyId=...`).
  const [typed, setTyped] = useState(() => query.get('keyId') ?? '');
  const [result, setResult] = useState<{ prefix: string; found: FindAnswer } | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const lastSearched = useRef('');

  const prefix = normalizeTyped(typed);
  const notHex = /[^0-9A-F]/.test(prefix);
  const signedIn = accounts.some((account) => account.signedIn);

  const search = (value: string) => {
    if (value.length < 4 || /[^0-9A-F]/.test(value) || !signedIn) return;
    lastSearched.current = value;
    setBusy(true);
    setError(undefined);
    findKey(value, active?.id)
      .then((found) => {
        if (lastSearched.current === value) setResult({ prefix: value, found });
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  // Back from sign-in with the Key ID already typed: search it as if it had just been typed.
  const typedOnArrival = useRef(prefix);
  useEffect(() => {
    const arrived = typedOnArrival.current;
    if (signedIn && arrived.length >= 4 && lastSearched.current === '') search(arrived);
    // Runs when the session learns of a signed-in account; the typed ID is the one on arrival.
  }, [signedIn]);

  const onChange = (value: string) => {
    setTyped(value);
    const normalized = normalizeTyped(value);
    // Results for an earlier Key ID would read as results for what is typed now: clear them.
    if (normalized.length < 4 || /[^0-9A-F]/.test(normalized)) {
      lastSearched.current = '';
      setResult(null);
      setError(undefined);
      return;
    }
    // The eighth character completes what the recovery screen shows: search without a click.
    if (normalized.length === shortIdLength && normalized !== lastSearched.current) {
      search(normalized);
    }
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    search(prefix);
  };

  const reveal = (accountId: string, keyId: string) => {
    switchTo(accountId);
    navigate(`/keys/${encodeURIComponent(keyId)}?reveal=1`);
  };

  const matches = result?.found.matches.filter((match) => match.keys.length > 0) ?? [];
  const elsewhere: ElsewherePlace[] = result
    ? result.found.elsewhere.map((item) => item.place)
    : allPlaces;

  return (
    <Page title={t('find.title')} intro={<p>{t('find.intro')}</p>} narrow>
      <div className="recovery-screen" aria-hidden="true">
        <p>{t('find.screenSample')}</p>
        <p>
          {t('find.screenKeyId')} <strong>1A2B3C4D</strong>
        </p>
      </div>
      <form className="card stack" onSubmit={submit} role="search">
        <div className="field">
          <label htmlFor={inputId}>{t('find.label')}</label>
          <input
            id={inputId}
            className="big-input"
            value={typed}
            maxLength={40}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            aria-describedby={hintId}
            aria-invalid={notHex}
            onChange={(event) => {
              onChange(event.target.value);
            }}
          />
          <p className="hint" id={hintId}>
            {notHex ? t('find.notHex') : t('find.hint')}
          </p>
        </div>
        {signedIn ? (
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || prefix.length < 4 || notHex}
          >
            {t('find.submit')}
          </button>
        ) : (
          <p className="callout">
            {t('find.signInFirst')}{' '}
            <Link to={`/sign-in?next=${encodeURIComponent(findPath(prefix))}`}>
              {t('nav.signIn')}
            </Link>
          </p>
        )}
      </form>
      <ErrorMessage error={error} />
      <div aria-live="polite">
        {result && matches.length > 0 ? (
          <section className="find-results">
            <h2>{t('find.foundTitle', { prefix: result.prefix })}</h2>
            {matches.map((match) => (
              <div key={match.accountId} className="card stack">
                <p>{t('find.inAccount', { name: match.displayName, email: match.email })}</p>
                <ul className="plain-list">
                  {match.keys.map((key) => (
                    <li key={key.id} className="find-key">
                      <KeyId protectorId={key.protectorId} luks={key.luks} />
                      <span>
                        {key.deviceName} · {key.volume.label}
                      </span>
                      <button
                        type="button"
                        className="button button-primary"
                        onClick={() => {
                          reveal(match.accountId, key.id);
                        }}
                      >
                        {t('find.reveal')}
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </section>
        ) : null}
        {result && matches.length === 0 ? (
          <p className="alert alert-warning">{t('find.noMatch', { prefix: result.prefix })}</p>
        ) : null}
      </div>
      <section
        className={result && matches.length === 0 ? 'elsewhere-box emphasised' : 'elsewhere-box'}
      >
        <h2>{t('find.elsewhereTitle')}</h2>
        <ElsewhereList places={elsewhere.length > 0 ? elsewhere : allPlaces} />
      </section>
    </Page>
  );
}
