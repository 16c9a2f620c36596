import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listDeviceTokens, revokeDeviceToken } from '../api/devices.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { ErrorMessage } from './error-message.js';

/**
 * The security page's list of computers connected with `keyhold login`: what each token is
 * called, when it was last used and from where, and a button that revokes it at once.
 */
export function DeviceTokensSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const tokens = useResource(cacheKey(account.id, '/auth/tokens'), () =>
    listDeviceTokens(account.id),
  );
  const [error, setError] = useState<unknown>(undefined);
  const revoke = (id: string) => {
    setError(undefined);
    revokeDeviceToken(account.id, id)
      .then(() => {
        tokens.reload();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };
  const list = tokens.data?.tokens ?? [];
  return (
    <section className="card stack" aria-labelledby="device-tokens-heading">
      <h2 id="device-tokens-heading">{t('security.devices.title')}</h2>
      <p className="hint">{t('security.devices.intro')}</p>
      <ErrorMessage error={tokens.error ?? error} />
      {tokens.data && list.length === 0 ? <p>{t('security.devices.none')}</p> : null}
      <ul className="plain-list sessions">
        {list.map((token) => (
          <li key={token.id} className="session-row">
            <div>
              <p className="session-device">
                {token.name} · {token.client}
              </p>
              <p className="hint">
                {token.lastUsedAt
                  ? t('security.devices.lastUsed', { date: formatDateTime(token.lastUsedAt) })
                  : t('security.devices.connected', { date: formatDateTime(token.createdAt) })}
                {token.lastIpAddress ? ` · ${token.lastIpAddress}` : ''}
              </p>
            </div>
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                revoke(token.id);
              }}
            >
              {t('security.devices.revoke')}
              <span className="visually-hidden"> {token.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <p>
        <Link to="/connect-device">{t('security.devices.connect')}</Link>
      </p>
    </section>
  );
}
