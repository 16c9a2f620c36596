import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as passkeys from '../api/passkeys.js';
import { formatDateTime } from '../format.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { ErrorMessage } from './error-message.js';
import { PasswordProof, typedPassword } from './password-proof.js';

/** Security page: the account's passkeys, and adding, renaming and removing them. */
export function PasskeysSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const list = useResource(cacheKey(account.id, '/auth/passkeys'), () =>
    passkeys.listPasskeys(account.id),
  );
  const [adding, setAdding] = useState(false);
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const nameId = useId();
  const renameId = useId();

  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .then(() => {
        list.reload();
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const add = (event: SubmitEvent) => {
    event.preventDefault();
    run(async () => {
      await passkeys.addPasskey(account.id, typedPassword(password), name.trim());
      setPassword('');
      setName('');
      setAdding(false);
    });
  };

  const rename = (event: SubmitEvent) => {
    event.preventDefault();
    if (!renaming) return;
    run(async () => {
      await passkeys.renamePasskey(account.id, renaming.id, renaming.name.trim());
      setRenaming(null);
    });
  };

  return (
    <section className="card stack" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">{t('security.passkeys.title')}</h2>
      <p>{t('security.passkeys.intro')}</p>
      {list.data?.passkeys.length === 0 ? (
        <p className="hint">{t('security.passkeys.none')}</p>
      ) : null}
      <ul className="plain-list sessions">
        {list.data?.passkeys.map((passkey) => (
          <li key={passkey.id} className="session-row">
            {renaming?.id === passkey.id ? (
              <form className="stack" onSubmit={rename}>
                <div className="field">
                  <label htmlFor={renameId}>{t('security.passkeys.name')}</label>
                  <input
                    id={renameId}
                    required
                    maxLength={100}
                    value={renaming.name}
                    onChange={(event) => {
                      setRenaming({ id: passkey.id, name: event.target.value });
                    }}
                  />
                </div>
                <div className="form-actions">
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => {
                      setRenaming(null);
                    }}
                  >
                    {t('common.cancel')}
                  </button>
                  <button type="submit" className="button button-small" disabled={busy}>
                    {t('security.passkeys.save')}
                  </button>
                </div>
              </form>
            ) : (
              <>
                <div>
                  <p className="session-device">{passkey.name}</p>
                  <p className="hint">
                    {passkey.lastUsedAt
                      ? t('security.passkeys.lastUsed', {
                          date: formatDateTime(passkey.lastUsedAt),
                        })
                      : t('security.passkeys.added', { date: formatDateTime(passkey.createdAt) })}
                  </p>
                </div>
                <div className="form-actions">
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => {
                      setRenaming({ id: passkey.id, name: passkey.name });
                    }}
                  >
                    {t('security.passkeys.rename')}
                    <span className="visually-hidden"> {passkey.name}</span>
                  </button>
                  <button
                    type="button"
                    className="button button-small"
                    disabled={busy}
                    onClick={() => {
                      run(async () => {
                        await passkeys.removePasskey(account.id, passkey.id);
                      });
                    }}
                  >
                    {t('security.passkeys.remove')}
                    <span className="visually-hidden"> {passkey.name}</span>
                  </button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      {adding ? (
        <form className="stack" onSubmit={add}>
          <input type="email" hidden readOnly autoComplete="username" value={account.email} />
          <div className="field">
            <label htmlFor={nameId}>{t('security.passkeys.name')}</label>
            <input
              id={nameId}
              required
              maxLength={100}
              value={name}
              onChange={(event) => {
                setName(event.target.value);
              }}
            />
            <p className="hint">{t('security.passkeys.nameHint')}</p>
          </div>
          <PasswordProof
            label={t('security.passkeys.password')}
            value={password}
            onChange={setPassword}
          />
          <ErrorMessage error={error} />
          <div className="form-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                setAdding(false);
              }}
            >
              {t('common.cancel')}
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('security.passkeys.create')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <ErrorMessage error={list.error ?? error} />
          <div>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setAdding(true);
              }}
            >
              {t('security.passkeys.add')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
