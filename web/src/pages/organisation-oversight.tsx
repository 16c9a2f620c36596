import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { saveFile } from '../api/client.js';
import {
  decideApproval,
  downloadCoverageReport,
  downloadOrganisationAudit,
  getCoverageReport,
  getOrganisationKey,
  listApprovals,
  listOrganisationAudit,
  type Approval,
  type AuditFilters,
  type CoverageReport,
  type Organisation,
  type OrganisationAuditEvent,
} from '../api/orgs.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import { OrganisationPage, organisationPath } from '../components/organisation-page.js';
import { RevealDialog, type RevealRequest } from '../components/reveal-dialog.js';
import { formatDateTime, formatNumber } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

function deviceLink(orgId: string, deviceId: string) {
  return `${organisationPath(orgId, 'devices')}/${encodeURIComponent(deviceId)}`;
}

// ---------------------------------------------------------------------------------------------
// Approvals

function ApprovalCard({
  organisation,
  approval,
  onChange,
  onReveal,
}: {
  organisation: Organisation;
  approval: Approval;
  onChange: () => void;
  onReveal: (approval: Approval) => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const noteId = useId();
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const mine = approval.requester.accountId === account.id;

  const decide = (decision: 'approve' | 'deny') => {
    setError(undefined);
    decideApproval(account.id, organisation.id, approval.id, decision, note.trim())
      .then(onChange)
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <li className="card stack approval">
      <p>
        <KeyId protectorId={approval.key.protectorId} /> · {approval.key.deviceName ?? ''}{' '}
        <span className={approval.state === 'pending' ? 'badge badge-warning' : 'badge'}>
          {t(`orgs.approvals.states.${approval.state}`)}
        </span>
      </p>
      <p>
        {t('orgs.approvals.askedBy', {
          name: approval.requester.displayName,
          time: formatDateTime(approval.requestedAt),
        })}
      </p>
      <p>
        {t(`orgs.reasons.${approval.reason}`)}
        {approval.reasonText ? `: ${approval.reasonText}` : ''}
        {approval.ticket ? ` · ${t('orgs.approvals.ticket', { ticket: approval.ticket })}` : ''}
      </p>
      {approval.decidedBy && approval.decidedAt ? (
        <p className="hint">
          {t('orgs.approvals.decidedBy', {
            name: approval.decidedBy.displayName,
            time: formatDateTime(approval.decidedAt),
          })}
          {approval.note ? ` · ${approval.note}` : ''}
        </p>
      ) : null}
      {approval.state === 'pending' && mine ? (
        <p className="hint">{t('orgs.approvals.waitingForOthers')}</p>
      ) : null}
      {approval.state === 'pending' && !mine ? (
        <>
          <div className="field">
            <label htmlFor={noteId}>{t('orgs.approvals.note')}</label>
            <input
              id={noteId}
              maxLength={500}
              value={note}
              onChange={(event) => {
                setNote(event.target.value);
              }}
            />
          </div>
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                decide('approve');
              }}
            >
              {t('orgs.approvals.approve')}
              <span className="visually-hidden"> {approval.key.shortId}</span>
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                decide('deny');
              }}
            >
              {t('orgs.approvals.deny')}
              <span className="visually-hidden"> {approval.key.shortId}</span>
            </button>
          </div>
        </>
      ) : null}
      {approval.state === 'approved' && mine ? (
        <div>
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              onReveal(approval);
            }}
          >
            {t('orgs.approvals.revealNow')}
            <span className="visually-hidden"> {approval.key.shortId}</span>
          </button>
        </div>
      ) : null}
      <ErrorMessage error={error} />
    </li>
  );
}

function ApprovalQueue({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const approvals = useResource(cacheKey(account.id, `/orgs/${orgId}/approvals`), () =>
    listApprovals(account.id, orgId),
  );
  const [revealing, setRevealing] = useState<RevealRequest | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const items = approvals.data?.items ?? [];
  const open = items.filter((item) => item.state === 'pending' || item.state === 'approved');
  const closed = items.filter((item) => !open.includes(item));

  const changed = () => {
    invalidate(account.id, `/orgs/${orgId}/`);
    approvals.reload();
  };

  const reveal = (approval: Approval) => {
    setError(undefined);
    getOrganisationKey(account.id, orgId, approval.key.id)
      .then(({ key }) => {
        setRevealing({
          key,
          reason: approval.reason,
          reasonText: approval.reasonText ?? undefined,
          ticket: approval.ticket ?? undefined,
          approvalId: approval.id,
        });
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const list = (shown: Approval[]) => (
    <ul className="card-list">
      {shown.map((approval) => (
        <ApprovalCard
          key={approval.id}
          organisation={organisation}
          approval={approval}
          onChange={changed}
          onReveal={reveal}
        />
      ))}
    </ul>
  );

  return (
    <>
      <p>{t('orgs.approvals.intro')}</p>
      <ErrorMessage error={approvals.error ?? error} />
      {approvals.loading ? <p role="status">{t('common.loading')}</p> : null}
      <h2>{t('orgs.approvals.open')}</h2>
      {approvals.data && open.length === 0 ? <p>{t('orgs.approvals.none')}</p> : list(open)}
      {closed.length > 0 ? (
        <>
          <h2>{t('orgs.approvals.decided')}</h2>
          {list(closed)}
        </>
      ) : null}
      {revealing ? (
        <RevealDialog
          orgId={orgId}
          request={revealing}
          onClose={() => {
            setRevealing(null);
          }}
          onRevealed={changed}
        />
      ) : null}
    </>
  );
}

export function OrganisationApprovalsPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="approvals">
      {(organisation) => <ApprovalQueue organisation={organisation} />}
    </OrganisationPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Audit

/** The organisation's actions people filter by most; any other stays reachable through CSV. */
const auditActions = [
  'key_revealed',
  'key_downloaded',
  'key_printed',
  'key_added',
  'keys_imported',
  'key_deleted',
  'reveal_approval_requested',
  'reveal_approved',
  'reveal_denied',
  'rotation_requested',
  'device_assigned',
  'member_added',
  'member_role_changed',
  'member_removed',
  'organisation_policies_changed',
] as const;

const noFilters: AuditFilters = { actor: '', action: '', device: '', keyId: '', from: '', to: '' };

function AuditEventLine({ event }: { event: OrganisationAuditEvent }) {
  const { t, i18n } = useTranslation();
  const text = (name: string) =>
    typeof event.details[name] === 'string' ? event.details[name] : '';
  const shortId = text('shortId') || text('protectorId').slice(0, 8);
  const device = text('deviceName');
  const reason = text('reason');
  const ticket = text('ticket');
  const number = (name: string) =>
    typeof event.details[name] === 'number' ? event.details[name] : 0;
  // An import stores its keys in batches, each with its own event.
  const imported =
    event.action === 'keys_imported'
      ? [
          text('fileName'),
          t('orgs.audit.importCounts', {
            added: number('added'),
            skipped: number('skipped'),
            conflicts: number('conflicts'),
          }),
          number('batches') > 1
            ? t('orgs.audit.importBatch', { batch: number('batch'), batches: number('batches') })
            : '',
        ]
      : [];
  return (
    <li>
      <time dateTime={event.at}>{formatDateTime(event.at)}</time>
      <span className="activity-type">
        {i18n.exists(`activity.actions.${event.action}`)
          ? t(`activity.actions.${event.action}`)
          : event.action}
      </span>
      <span className="activity-subject">
        {[
          event.actor ? t('orgs.audit.by', { name: event.actor.displayName }) : '',
          shortId
            ? device
              ? t('activity.keyOnDevice', { shortId, device })
              : t('activity.key', { shortId })
            : device,
          // The server records the actor as the subject when an event names no one else.
          event.subject && event.subject.accountId !== event.actor?.accountId
            ? t('orgs.audit.about', { name: event.subject.displayName })
            : '',
          i18n.exists(`orgs.reasons.${reason}`) ? t(`orgs.reasons.${reason}`) : '',
          ticket ? t('orgs.approvals.ticket', { ticket }) : '',
          ...imported,
        ]
          .filter(Boolean)
          .join(' · ')}
      </span>
    </li>
  );
}

function AuditLog({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const ids = {
    actor: useId(),
    action: useId(),
    device: useId(),
    keyId: useId(),
    from: useId(),
    to: useId(),
  };
  const [editing, setEditing] = useState<AuditFilters>(noFilters);
  const [filters, setFilters] = useState<AuditFilters>(noFilters);
  const [more, setMore] = useState<{ events: OrganisationAuditEvent[]; cursor: string | null }>({
    events: [],
    cursor: null,
  });
  const [error, setError] = useState<unknown>(undefined);
  const first = useResource(
    cacheKey(account.id, `/orgs/${orgId}/audit?${JSON.stringify(filters)}`),
    (signal) => listOrganisationAudit(account.id, orgId, filters, null, signal),
  );
  const events = [...(first.data?.events ?? []), ...more.events];
  const nextCursor = more.events.length > 0 ? more.cursor : (first.data?.nextCursor ?? null);

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    setMore({ events: [], cursor: null });
    setFilters(editing);
  };

  const loadMore = () => {
    if (!nextCursor) return;
    listOrganisationAudit(account.id, orgId, filters, nextCursor)
      .then((page) => {
        setMore({ events: [...more.events, ...page.events], cursor: page.nextCursor });
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const csv = () => {
    setError(undefined);
    downloadOrganisationAudit(account.id, orgId, filters)
      .then(saveFile)
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const field = (name: keyof AuditFilters, type = 'text') => (
    <div className="field">
      <label htmlFor={ids[name]}>{t(`orgs.audit.filters.${name}`)}</label>
      <input
        id={ids[name]}
        type={type}
        autoComplete="off"
        value={editing[name]}
        onChange={(event) => {
          setEditing({ ...editing, [name]: event.target.value });
        }}
      />
    </div>
  );

  return (
    <>
      <form className="card stack audit-filters" onSubmit={apply}>
        <h2>{t('orgs.audit.filterTitle')}</h2>
        <div className="filter-grid">
          {field('actor')}
          <div className="field">
            <label htmlFor={ids.action}>{t('orgs.audit.filters.action')}</label>
            <select
              id={ids.action}
              value={editing.action}
              onChange={(event) => {
                setEditing({ ...editing, action: event.target.value });
              }}
            >
              <option value="">{t('orgs.audit.anyAction')}</option>
              {auditActions.map((action) => (
                <option key={action} value={action}>
                  {t(`activity.actions.${action}`)}
                </option>
              ))}
            </select>
          </div>
          {field('device')}
          {field('keyId')}
          {field('from', 'date')}
          {field('to', 'date')}
        </div>
        <div className="button-row">
          <button type="submit" className="button button-primary">
            {t('orgs.audit.apply')}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setEditing(noFilters);
              setMore({ events: [], cursor: null });
              setFilters(noFilters);
            }}
          >
            {t('orgs.audit.clear')}
          </button>
          <button type="button" className="button" onClick={csv}>
            {t('orgs.audit.csv')}
          </button>
        </div>
      </form>
      <ErrorMessage error={first.error ?? error} />
      <p className="result-status" role="status">
        {first.loading ? t('common.loading') : t('orgs.audit.shown', { count: events.length })}
      </p>
      <ol className="activity">
        {events.map((event) => (
          <AuditEventLine key={event.id} event={event} />
        ))}
      </ol>
      {nextCursor ? (
        <button type="button" className="button" onClick={loadMore}>
          {t('activity.more')}
        </button>
      ) : null}
    </>
  );
}

export function OrganisationAuditPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="audit">
      {(organisation) => <AuditLog organisation={organisation} />}
    </OrganisationPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Coverage report

type Measure =
  | 'drivesEscrowed'
  | 'drivesWithoutKey'
  | 'keysRotationRequired'
  | 'keysNeverProven'
  | 'devicesNotSeen';

const measures: { name: Measure; of: 'drives' | 'keys' | 'devices'; tone: string }[] = [
  { name: 'drivesEscrowed', of: 'drives', tone: 'chart-ok' },
  { name: 'drivesWithoutKey', of: 'drives', tone: 'chart-bad' },
  { name: 'keysRotationRequired', of: 'keys', tone: 'chart-warning' },
  { name: 'keysNeverProven', of: 'keys', tone: 'chart-warning' },
  { name: 'devicesNotSeen', of: 'devices', tone: 'chart-warning' },
];

/**
 * One bar per measure, each as a share of what it counts (drives, keys or devices), drawn as
 * plain SVG. The numbers are in the table beside it too, for reading and for screen readers.
 */
function CoverageChart({ report }: { report: CoverageReport }) {
  const { t } = useTranslation();
  const titleId = useId();
  // Label above each bar, so the chart stays legible when a phone scales it down.
  const rowHeight = 50;
  const barWidth = 300;
  const height = measures.length * rowHeight;
  return (
    <figure className="coverage-chart">
      <svg viewBox={`0 0 ${barWidth + 100} ${height}`} role="img" aria-labelledby={titleId}>
        <title id={titleId}>{t('orgs.report.chartTitle')}</title>
        {measures.map((measure, index) => {
          const value = report.counts[measure.name];
          const total = report.counts[measure.of];
          const share = total === 0 ? 0 : value / total;
          const y = index * rowHeight;
          return (
            <g key={measure.name}>
              <text x={0} y={y + 16} className="chart-label">
                {t(`orgs.report.measures.${measure.name}`)}
              </text>
              <rect x={0} y={y + 24} width={barWidth} height={16} rx={3} className="chart-track" />
              <rect
                x={0}
                y={y + 24}
                width={Math.max(share > 0 ? 2 : 0, share * barWidth)}
                height={16}
                rx={3}
                className={measure.tone}
              />
              <text x={barWidth + 8} y={y + 37} className="chart-value">
                {formatNumber(value)} / {formatNumber(total)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="hint">{t('orgs.report.chartCaption')}</figcaption>
    </figure>
  );
}

function CoverageView({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const daysId = useId();
  const [typedDays, setTypedDays] = useState('30');
  const [staleDays, setStaleDays] = useState(30);
  const [error, setError] = useState<unknown>(undefined);
  const report = useResource(
    cacheKey(account.id, `/orgs/${orgId}/report?staleDays=${staleDays}`),
    (signal) => getCoverageReport(account.id, orgId, staleDays, signal),
  );
  const data = report.data;

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const days = Number(typedDays);
    if (Number.isInteger(days) && days >= 1) setStaleDays(days);
  };

  const csv = () => {
    setError(undefined);
    downloadCoverageReport(account.id, orgId, staleDays)
      .then(saveFile)
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <>
      <form className="toolbar" onSubmit={apply}>
        <div className="field">
          <label htmlFor={daysId}>{t('orgs.report.staleDays')}</label>
          <input
            id={daysId}
            className="short-input"
            type="number"
            min={1}
            max={3650}
            value={typedDays}
            onChange={(event) => {
              setTypedDays(event.target.value);
            }}
          />
        </div>
        <button type="submit" className="button">
          {t('orgs.report.apply')}
        </button>
        <button type="button" className="button" onClick={csv}>
          {t('orgs.report.csv')}
        </button>
      </form>
      <ErrorMessage error={report.error ?? error} />
      {!data ? (
        report.error ? null : (
          <p role="status">{t('common.loading')}</p>
        )
      ) : (
        <>
          <p className="hint">
            {t('orgs.report.generated', { time: formatDateTime(data.generatedAt) })}
          </p>
          <div className="report-grid">
            <CoverageChart report={data} />
            <div className="table-wrap">
              <table className="key-table">
                <caption>{t('orgs.report.countsCaption')}</caption>
                <tbody>
                  {(
                    [
                      'devices',
                      'drives',
                      'drivesEscrowed',
                      'drivesWithoutKey',
                      'keys',
                      'keysRotationRequired',
                      'keysNeverProven',
                      'devicesRotationRequired',
                      'devicesNotSeen',
                    ] as const
                  ).map((name) => (
                    <tr key={name}>
                      <th scope="row">{t(`orgs.report.counts.${name}`)}</th>
                      <td className="number">{formatNumber(data.counts[name])}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          {data.truncated ? (
            <p className="alert alert-warning">{t('orgs.report.truncated')}</p>
          ) : null}
          <section className="stack report-list" aria-labelledby="without-key-heading">
            <h2 id="without-key-heading">{t('orgs.report.measures.drivesWithoutKey')}</h2>
            {data.drivesWithoutKey.length === 0 ? (
              <p>{t('orgs.report.noneListed')}</p>
            ) : (
              <ul className="plain-list">
                {data.drivesWithoutKey.map((item) => (
                  <li key={item.drive.id}>
                    <Link to={deviceLink(orgId, item.deviceId)}>{item.deviceName}</Link> ·{' '}
                    {item.drive.label || t(`keys.driveType.${item.drive.type}`)}
                  </li>
                ))}
              </ul>
            )}
          </section>
          {(['keysRotationRequired', 'keysNeverProven'] as const).map((list) => (
            <section key={list} className="stack report-list" aria-labelledby={`${list}-heading`}>
              <h2 id={`${list}-heading`}>{t(`orgs.report.measures.${list}`)}</h2>
              {data[list].length === 0 ? (
                <p>{t('orgs.report.noneListed')}</p>
              ) : (
                <ul className="plain-list">
                  {data[list].map((item) => (
                    <li key={item.keyId}>
                      <KeyId protectorId={item.protectorId} /> ·{' '}
                      <Link to={deviceLink(orgId, item.deviceId)}>{item.deviceName}</Link>
                      {item.driveLabel ? ` · ${item.driveLabel}` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
          <section className="stack report-list" aria-labelledby="not-seen-heading">
            <h2 id="not-seen-heading">{t('orgs.report.measures.devicesNotSeen')}</h2>
            {data.devicesNotSeen.length === 0 ? (
              <p>{t('orgs.report.noneListed')}</p>
            ) : (
              <ul className="plain-list">
                {data.devicesNotSeen.map((item) => (
                  <li key={item.deviceId}>
                    <Link to={deviceLink(orgId, item.deviceId)}>{item.deviceName}</Link> ·{' '}
                    {item.lastSeenAt
                      ? t('orgs.report.lastSeen', { time: formatDateTime(item.lastSeenAt) })
                      : t('orgs.devices.neverSeen')}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}

export function OrganisationReportPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="report">
      {(organisation) => <CoverageView organisation={organisation} />}
    </OrganisationPage>
  );
}
