import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listAudit, type AuditEvent } from '../api/auth.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

export function ActivityPage() {
  const { t, i18n } = useTranslation();
  const account = useActiveAccount();
  const [more, setMore] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const first = useResource(cacheKey(account.id, '/audit'), () => listAudit(account.id));
  const events = [...(first.data?.events ?? []), ...more];
  const nextCursor = cursor === undefined ? first.data?.nextCursor : cursor;

  const loadMore = () => {
    if (!nextCursor) return;
    listAudit(account.id, nextCursor)
      .then((page) => {
        setMore((current) => [...current, ...page.events]);
        setCursor(page.nextCursor ?? null);
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  // Actions this version of the app does not know yet still show, by their code.
  const describe = (event: AuditEvent) =>
    i18n.exists(`activity.actions.${event.action}`)
      ? t(`activity.actions.${event.action}`)
      : event.action;

  // The key an event is about, as the recovery screen and the library name it.
  const subject = (event: AuditEvent) => {
    const { details } = event;
    const text = (name: string) => (typeof details[name] === 'string' ? details[name] : '');
    const shortId = text('shortId') || text('protectorId').slice(0, 8);
    if (shortId === '') return null;
    const device = text('deviceName');
    const key = device
      ? t('activity.keyOnDevice', { shortId, device })
      : t('activity.key', { shortId });
    const destination = text('destination');
    return event.action === 'key_backup_recorded' && i18n.exists(`keys.destination.${destination}`)
      ? `${key} · ${t(`keys.destination.${destination}`)}`
      : key;
  };

  return (
    <Page
      title={t('activity.title')}
      intro={<p>{t('activity.intro')}</p>}
      actions={<Link to="/security">{t('nav.security')}</Link>}
    >
      <ErrorMessage error={first.error ?? error} />
      {first.data && events.length === 0 ? <p>{t('activity.none')}</p> : null}
      <ol className="activity">
        {events.map((event) => (
          <li key={event.id}>
            <time dateTime={event.at}>{formatDateTime(event.at)}</time>
            <span className="activity-type">{describe(event)}</span>
            {subject(event) ? <span className="activity-subject">{subject(event)}</span> : null}
            {event.ipAddress ? <span className="hint">{event.ipAddress}</span> : null}
          </li>
        ))}
      </ol>
      {nextCursor ? (
        <button type="button" className="button" onClick={loadMore}>
          {t('activity.more')}
        </button>
      ) : null}
    </Page>
  );
}
