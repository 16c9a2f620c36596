import { useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  CreatedEnrollmentToken,
  EnrolledDevice,
  EnrollmentToken,
} from '../../../src/api/enrollment.js';
import { request } from '../api/client.js';
import { DataTable } from '../components/data-table.js';
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
    tokens.reload();
    devices.reload();
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
        <DataTable
          caption={t('orgEnrollment.tokens')}
          rows={tokens.data?.items ?? []}
          rowKey={(token) => token.id}
          columns={[
            { header: t('orgEnrollment.name'), cell: (token) => token.name },
            {
              header: t('orgEnrollment.uses'),
              cell: (token) => `${formatNumber(token.uses)} / ${formatNumber(token.maxUses)}`,
            },
            {
              header: t('orgEnrollment.expires'),
              cell: (token) => formatDateTime(token.expiresAt),
            },
            {
              header: t('orgEnrollment.status'),
              cell: (token) => t(`orgEnrollment.tokenStatus.${token.status}`),
            },
            {
              header: t('orgs.library.actions'),
              headerHidden: true,
              cell: (token) =>
                token.status === 'usable' ? (
                  <button
                    type="button"
                    onClick={() => void act(`${base}/enrollment-tokens/${token.id}/revoke`)}
                  >
                    {t('orgEnrollment.revoke')}
                  </button>
                ) : null,
            },
          ]}
        />
      </section>
      <section className="card stack">
        <h2>{t('orgEnrollment.devices')}</h2>
        <DataTable
          caption={t('orgEnrollment.devices')}
          rows={devices.data?.items ?? []}
          rowKey={(device) => device.id}
          columns={[
            {
              header: t('orgEnrollment.device'),
              cell: (device) => (
                <>
                  {device.deviceName} <small>{device.os}</small>
                </>
              ),
            },
            {
              header: t('orgEnrollment.lastSeen'),
              cell: (device) => (device.lastSeenAt ? formatDateTime(device.lastSeenAt) : '–'),
            },
            {
              header: t('orgEnrollment.rotation'),
              cell: (device) =>
                device.rotation.pending === 0
                  ? t('orgEnrollment.rotationNone')
                  : t('orgEnrollment.rotationPending', { count: device.rotation.pending }),
            },
            {
              header: t('orgEnrollment.status'),
              cell: (device) => t(`orgEnrollment.deviceStatus.${device.status}`),
            },
            {
              header: t('orgs.library.actions'),
              headerHidden: true,
              cell: (device) =>
                device.status === 'active' ? (
                  <button
                    type="button"
                    onClick={() => void act(`${base}/enrolled-devices/${device.id}/retire`)}
                  >
                    {t('orgEnrollment.retire')}
                  </button>
                ) : null,
            },
          ]}
        />
      </section>
    </Page>
  );
}
