import { useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  CreatedEnrollmentToken,
  EnrolledDevice,
  EnrollmentToken,
} from '../../../src/api/enrollment.js';
import { request } from '../api/client.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatDateTime, formatNumber } from '../format.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

/**
 * An organisation's enrollment: tokens its computers enroll with (the secret shown once, when
 * made), and the enrolled devices with their status and rotation state, each retirable.
 */
export function OrgEnrollmentPage({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const base = `/orgs/${encodeURIComponent(orgId)}`;
  const tokens = useResource(cacheKey(account.id, `${base}/enrollment-tokens`), () =>
    request<{ items: EnrollmentToken[] }>(`${base}/enrollment-tokens`, { account: account.id }),
  );
  const devices = useResource(cacheKey(account.id, `${base}/enrolled-devices`), () =>
    request<{ items: EnrolledDevice[] }>(`${base}/enrolled-devices`, { account: account.id }),
  );
  const [name, setName] = useState('');
  const [maxUses, setMaxUses] = useState(1);
  const [expiresInDays, setExpiresInDays] = useState(7);
  const [created, setCreated] = useState<CreatedEnrollmentToken | null>(null);
  const [error, setError] = useState<unknown>(null);

  const refresh = () => {
    invalidate(account.id, base);
  };

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setCreated(
        await request<CreatedEnrollmentToken>(`${base}/enrollment-tokens`, {
          account: account.id,
          method: 'POST',
          body: { name, maxUses, expiresInDays },
        }),
      );
      setName('');
      refresh();
    } catch (failure) {
      setError(failure);
    }
  };

  const act = async (path: string) => {
    setError(null);
    try {
      await request<unknown>(path, { account: account.id, method: 'POST' });
      refresh();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <Page title={t('orgEnrollment.title')} intro={<p>{t('orgEnrollment.intro')}</p>}>
      <ErrorMessage error={error ?? tokens.error ?? devices.error} />
      <section className="card stack">
        <h2>{t('orgEnrollment.newToken')}</h2>
        <form className="stack" onSubmit={(event) => void create(event)}>
          <label>
            {t('orgEnrollment.name')}
            <input
              required
              maxLength={100}
              value={name}
              onChange={(event) => {
                setName(event.target.value);
              }}
            />
          </label>
          <label>
            {t('orgEnrollment.maxUses')}
            <input
              type="number"
              min={1}
              max={100000}
              value={maxUses}
              onChange={(event) => {
                setMaxUses(Number(event.target.value));
              }}
            />
          </label>
          <label>
            {t('orgEnrollment.expiresInDays')}
            <input
              type="number"
              min={1}
              max={365}
              value={expiresInDays}
              onChange={(event) => {
                setExpiresInDays(Number(event.target.value));
              }}
            />
          </label>
          <button type="submit">{t('orgEnrollment.create')}</button>
        </form>
        {created ? (
          <div className="alert alert-warning" role="status">
            <p>{t('orgEnrollment.shownOnce')}</p>
            <code className="secret">{created.secret}</code>
            <p>
              <code>
                keyhold agent enroll --server {window.location.origin} --token {created.secret}
              </code>
            </p>
          </div>
        ) : null}
      </section>
      <section className="card stack">
        <h2>{t('orgEnrollment.tokens')}</h2>
        <div className="table-wrap">
          <table className="key-table">
            <thead>
              <tr>
                <th scope="col">{t('orgEnrollment.name')}</th>
                <th scope="col">{t('orgEnrollment.uses')}</th>
                <th scope="col">{t('orgEnrollment.expires')}</th>
                <th scope="col">{t('orgEnrollment.status')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {(tokens.data?.items ?? []).map((token) => (
                <tr key={token.id}>
                  <th scope="row">{token.name}</th>
                  <td>
                    {formatNumber(token.uses)} / {formatNumber(token.maxUses)}
                  </td>
                  <td>{formatDateTime(token.expiresAt)}</td>
                  <td>{t(`orgEnrollment.tokenStatus.${token.status}`)}</td>
                  <td>
                    {token.status === 'usable' ? (
                      <button
                        type="button"
                        onClick={() => void act(`${base}/enrollment-tokens/${token.id}/revoke`)}
                      >
                        {t('orgEnrollment.revoke')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card stack">
        <h2>{t('orgEnrollment.devices')}</h2>
        <div className="table-wrap">
          <table className="key-table">
            <thead>
              <tr>
                <th scope="col">{t('orgEnrollment.device')}</th>
                <th scope="col">{t('orgEnrollment.lastSeen')}</th>
                <th scope="col">{t('orgEnrollment.rotation')}</th>
                <th scope="col">{t('orgEnrollment.status')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {(devices.data?.items ?? []).map((device) => (
                <tr key={device.id}>
                  <th scope="row">
                    {device.deviceName} <small>{device.os}</small>
                  </th>
                  <td>{device.lastSeenAt ? formatDateTime(device.lastSeenAt) : '–'}</td>
                  <td>
                    {device.rotation.pending === 0
                      ? t('orgEnrollment.rotationNone')
                      : t('orgEnrollment.rotationPending', { count: device.rotation.pending })}
                  </td>
                  <td>{t(`orgEnrollment.deviceStatus.${device.status}`)}</td>
                  <td>
                    {device.status === 'active' ? (
                      <button
                        type="button"
                        onClick={() => void act(`${base}/enrolled-devices/${device.id}/retire`)}
                      >
                        {t('orgEnrollment.retire')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </Page>
  );
}
