import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { getMe } from '../api/auth.js';
import { saveFile } from '../api/client.js';
import { downloadUploadedFile, getVault, lockVault, unlockVault } from '../api/keys.js';
import { listPasskeys, presenceWithPasskey } from '../api/passkeys.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatCountdown } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

/**
 * Seconds until `iso`, counted from the moment of each render: a countdown that appears (the
 * vault just opened) starts at the right time rather than from when the page was first shown.
 */
function useSecondsUntil(iso: string | null): number | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!iso) return;
    const timer = setInterval(() => {
      setTick((tick) => tick + 1);
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [iso]);
  if (!iso) return null;
  return Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
}

function UnlockForm({ onUnlocked }: { onUnlocked: () => void }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const me = useResource(cacheKey(account.id, '/auth/me'), () => getMe(account.id));
  // The server asks for the authenticator code when one is set up, else the password: offer that.
  const usePassword = me.data ? !me.data.account.totpEnabled : undefined;
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const inputId = useId();
  const passkeys = useResource(cacheKey(account.id, '/auth/passkeys'), () =>
    listPasskeys(account.id),
  );
  const withPasskey = (passkeys.data?.passkeys.length ?? 0) > 0;

  const unlock = (proof: () => Promise<Parameters<typeof unlockVault>[1]>) => {
    setBusy(true);
    setError(undefined);
    proof()
      .then((body) => unlockVault(account.id, body))
      .then(() => {
        setSecret('');
        onUnlocked();
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    unlock(() =>
      Promise.resolve(usePassword ? { password: secret } : { totpCode: secret.replace(/\s/g, '') }),
    );
  };

  const unlockWithPasskey = () => {
    unlock(async () => ({ passkey: await presenceWithPasskey(account.id) }));
  };

  if (usePassword === undefined) {
    return (
      <div className="card stack">
        <h2>{t('vault.unlockTitle')}</h2>
        <ErrorMessage error={me.error} />
        {me.error ? null : <p role="status">{t('common.loading')}</p>}
      </div>
    );
  }

  return (
    <form className="card stack" onSubmit={submit}>
      <h2>{t('vault.unlockTitle')}</h2>
      <div className="field">
        <label htmlFor={inputId}>{usePassword ? t('vault.password') : t('vault.totpCode')}</label>
        <input
          id={inputId}
          type={usePassword ? 'password' : 'text'}
          inputMode={usePassword ? 'text' : 'numeric'}
          autoComplete={usePassword ? 'current-password' : 'one-time-code'}
          required
          value={secret}
          onChange={(event) => {
            setSecret(event.target.value);
          }}
        />
      </div>
      <ErrorMessage error={error} />
      <div className="form-actions">
        {withPasskey ? (
          <button type="button" className="button" disabled={busy} onClick={unlockWithPasskey}>
            {t('vault.unlockWithPasskey')}
          </button>
        ) : null}
        <button type="submit" className="button button-primary" disabled={busy}>
          {t('vault.unlock')}
        </button>
      </div>
    </form>
  );
}

export function VaultPage() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const vault = useResource(cacheKey(account.id, '/vault'), () => getVault(account.id));
  const [error, setError] = useState<unknown>(undefined);
  const state = vault.data;
  const secondsLeft = useSecondsUntil(state && !state.locked ? state.lockExpiresAt : null);

  // When the countdown runs out the server has locked the vault; show it as it is now.
  const expired = secondsLeft === 0;
  useEffect(() => {
    if (expired) {
      invalidate(account.id);
      vault.reload();
    }
  }, [expired, account.id, vault.reload]);

  const changed = () => {
    invalidate(account.id);
    vault.reload();
  };

  const lock = () => {
    lockVault(account.id)
      .then(changed)
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <Page title={t('vault.title')} intro={<p>{t('vault.intro')}</p>}>
      <ErrorMessage error={vault.error ?? error} />
      {!state ? (
        vault.error ? null : (
          <p role="status">{t('common.loading')}</p>
        )
      ) : (
        <>
          <div className={state.locked ? 'vault-status locked' : 'vault-status unlocked'}>
            <p className="vault-state">{state.locked ? t('vault.locked') : t('vault.unlocked')}</p>
            {!state.locked && secondsLeft !== null ? (
              <p className="vault-countdown" role="timer" aria-live="off">
                {t('vault.locksIn', { time: formatCountdown(secondsLeft) })}
              </p>
            ) : null}
            {!state.locked ? (
              <button type="button" className="button" onClick={lock}>
                {t('vault.lockNow')}
              </button>
            ) : null}
          </div>
          {state.locked ? <UnlockForm onUnlocked={changed} /> : null}
          <section className="card stack">
            <h2>{t('vault.items', { count: state.items.length })}</h2>
            {state.locked ? <p className="hint">{t('vault.namesOnly')}</p> : null}
            {state.items.length === 0 ? (
              <p>{t('vault.empty')}</p>
            ) : (
              <ul className="plain-list vault-items">
                {state.items.map((item) => (
                  <li key={item.id}>
                    <span className="badge">{t(`vault.kind.${item.kind}`)}</span>{' '}
                    {!state.locked && item.kind === 'key' ? (
                      <Link to={`/keys/${encodeURIComponent(item.id)}`}>{item.name}</Link>
                    ) : (
                      <span>{item.name}</span>
                    )}
                    {!state.locked && item.kind === 'file' ? (
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => {
                          downloadUploadedFile(account.id, item.id, item.name)
                            .then(saveFile)
                            .catch((caught: unknown) => {
                              setError(caught);
                            });
                        }}
                      >
                        {t('vault.download')}
                        <span className="visually-hidden"> {item.name}</span>
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
