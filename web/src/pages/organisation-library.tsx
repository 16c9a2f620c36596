import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { KeySummary } from '../api/keys.js';
import {
  assignDevice,
  getDevice,
  getOrganisationKey,
  listDevices,
  listOrganisationKeys,
  rotateDevice,
  rotateOrganisation,
  type DeviceDetail,
  type DeviceSummary,
  type MembershipRole,
  type Organisation,
} from '../api/orgs.js';
import { DataTable } from '../components/data-table.js';
import { DriveLabel } from '../components/drive.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import {
  managingRoles,
  OrganisationPage,
  organisationPath,
} from '../components/organisation-page.js';
import { reasonFromQuery, RevealDialog, type RevealRequest } from '../components/reveal-dialog.js';
import { formatDate, formatDateTime } from '../format.js';
import { Link, useLocation } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useKeySearch } from '../state/key-search.js';
import { useActiveAccount } from '../state/session.js';

const pageSize = 50;

/** Roles that may ask for a key's password (members only for their own devices). */
const revealingRoles: readonly MembershipRole[] = ['owner', 'admin', 'helpdesk', 'member'];
/** Roles that may change the library: add keys, assign devices. */
const writingRoles: readonly MembershipRole[] = ['owner', 'admin', 'helpdesk'];

function deviceLink(orgId: string, deviceId: string) {
  return `${organisationPath(orgId, 'devices')}/${encodeURIComponent(deviceId)}`;
}

/** A key that was revealed (or marked) and waits for a newer one for its drive. */
function RotationBadge({ summary }: { summary: KeySummary }) {
  const { t } = useTranslation();
  if (!summary.rotationRequired) return null;
  return <span className="badge badge-warning">{t('orgs.rotation.keyBadge')}</span>;
}

function RevealButton({ summary, onReveal }: { summary: KeySummary; onReveal: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="button button-small" onClick={onReveal}>
      {t('orgs.library.reveal')}
      <span className="visually-hidden"> {summary.shortId}</span>
    </button>
  );
}

/** The key the address asks to reveal (coming back from signing in again), once loaded. */
function useRevealFromAddress(
  orgId: string,
): [RevealRequest | null, (next: RevealRequest | null) => void] {
  const account = useActiveAccount();
  const { query } = useLocation();
  // Read once: the page rewrites its address as the search changes.
  const [asked] = useState(() => ({
    id: query.get('reveal'),
    reason: reasonFromQuery(query.get('reason')),
    ticket: query.get('ticket') ?? undefined,
  }));
  const [request, setRequest] = useState<RevealRequest | null>(null);
  const [used, setUsed] = useState(false);
  const askedKey = useResource(
    asked.id && !used ? cacheKey(account.id, `/orgs/${orgId}/keys/${asked.id}`) : null,
    () => getOrganisationKey(account.id, orgId, asked.id ?? ''),
  );
  useEffect(() => {
    const key = askedKey.data?.key;
    if (key && !used) {
      setUsed(true);
      setRequest({ key, reason: asked.reason, ticket: asked.ticket });
    }
  }, [askedKey.data, used]);
  return [request, setRequest];
}

function LibrarySearch({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const searchId = useId();
  const hintId = useId();
  const orgId = organisation.id;
  const { typed, setTyped, search } = useKeySearch(organisationPath(orgId));
  const [more, setMore] = useState<{ search: string; items: KeySummary[]; cursor: string | null }>({
    search: '',
    items: [],
    cursor: null,
  });
  const [moreError, setMoreError] = useState<unknown>(undefined);
  const [revealing, setRevealing] = useRevealFromAddress(orgId);

  const page = useResource(cacheKey(account.id, `/orgs/${orgId}/keys?q=${search}`), (signal) =>
    listOrganisationKeys(account.id, orgId, { q: search, limit: pageSize }, signal),
  );
  const extra = more.search === search && page.data ? more : null;
  const items = [...(page.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra?.cursor ?? page.data?.nextCursor ?? null;
  const mayReveal = revealingRoles.includes(organisation.role);

  const loadMore = () => {
    if (!nextCursor) return;
    setMoreError(undefined);
    listOrganisationKeys(account.id, orgId, { q: search, cursor: nextCursor, limit: pageSize })
      .then((next) => {
        setMore({
          search,
          items: [...(extra?.items ?? []), ...next.items],
          cursor: next.nextCursor,
        });
      })
      .catch((caught: unknown) => {
        setMoreError(caught);
      });
  };

  return (
    <>
      <div className="toolbar" role="search">
        <div className="field field-grow">
          <label htmlFor={searchId}>{t('orgs.library.search')}</label>
          <input
            id={searchId}
            className="big-input"
            type="search"
            autoComplete="off"
            spellCheck={false}
            // The helpdesk starts typing the moment the page opens.
            autoFocus
            aria-describedby={hintId}
            value={typed}
            onChange={(event) => {
              setTyped(event.target.value);
            }}
          />
          <p className="hint" id={hintId}>
            {t('orgs.library.searchHint')}
          </p>
        </div>
      </div>
      <ErrorMessage error={page.error ?? moreError} />
      <p className="result-status" role="status">
        {page.loading && !page.data
          ? t('common.loading')
          : search
            ? t('keys.matches', { count: items.length, query: search })
            : ''}
      </p>
      {page.data ? (
        <DataTable
          caption={t('orgs.library.caption')}
          rows={items}
          rowKey={(summary) => summary.id}
          empty={
            search
              ? t('keys.noMatch', { query: search })
              : organisation.role === 'member'
                ? t('orgs.library.noneOfYours')
                : t('orgs.library.empty')
          }
          columns={[
            {
              header: t('keys.columns.keyId'),
              cell: (summary) => (
                <>
                  <KeyId protectorId={summary.protectorId} luks={summary.luks} />
                  <RotationBadge summary={summary} />
                </>
              ),
            },
            {
              header: t('keys.columns.device'),
              cell: (summary) => (
                <Link to={deviceLink(orgId, summary.deviceId)}>{summary.deviceName}</Link>
              ),
            },
            {
              header: t('keys.columns.drive'),
              cell: (summary) => <DriveLabel volume={summary.volume} />,
            },
            {
              header: t('keys.columns.uploaded'),
              cell: (summary) => (
                <time dateTime={summary.createdAt}>{formatDate(summary.createdAt)}</time>
              ),
            },
            ...(mayReveal
              ? [
                  {
                    header: t('orgs.library.actions'),
                    headerHidden: true,
                    className: 'row-actions',
                    cell: (summary: KeySummary) => (
                      <RevealButton
                        summary={summary}
                        onReveal={() => {
                          setRevealing({ key: summary });
                        }}
                      />
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : null}
      {nextCursor ? (
        <p>
          <button type="button" className="button" onClick={loadMore}>
            {t('orgs.library.more')}
          </button>
        </p>
      ) : null}
      {revealing ? (
        <RevealDialog
          orgId={orgId}
          request={revealing}
          onClose={() => {
            setRevealing(null);
          }}
          onRevealed={() => {
            // A revealed key now waits for a new one: the list shows it.
            invalidate(account.id, `/orgs/${orgId}/`);
            page.reload();
          }}
        />
      ) : null}
    </>
  );
}

export function OrganisationLibraryPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="library" focusHeading={false}>
      {(organisation) => <LibrarySearch organisation={organisation} />}
    </OrganisationPage>
  );
}

function DeviceList({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const first = useResource(cacheKey(account.id, `/orgs/${orgId}/devices`), (signal) =>
    listDevices(account.id, orgId, null, signal),
  );
  const [more, setMore] = useState<{ items: DeviceSummary[]; cursor: string | null } | null>(null);
  const firstItems = first.data?.items ?? [];
  const [error, setError] = useState<unknown>(undefined);
  const items = [...firstItems, ...(more?.items ?? [])];
  const nextCursor = more ? more.cursor : (first.data?.nextCursor ?? null);

  const loadMore = () => {
    if (!nextCursor) return;
    listDevices(account.id, orgId, nextCursor)
      .then((next) => {
        setMore({ items: [...(more?.items ?? []), ...next.items], cursor: next.nextCursor });
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <>
      <ErrorMessage error={first.error ?? error} />
      {first.loading ? <p role="status">{t('common.loading')}</p> : null}
      {first.data ? (
        <DataTable
          caption={t('orgs.sections.devices')}
          rows={items}
          rowKey={(device) => device.id}
          empty={
            organisation.role === 'member' ? t('orgs.devices.noneOfYours') : t('orgs.devices.none')
          }
          columns={[
            {
              header: t('orgs.devices.name'),
              cell: (device) => (
                <>
                  <Link to={deviceLink(orgId, device.id)}>{device.name}</Link>
                  {device.rotation === 'required' ? (
                    <span className="badge badge-warning">{t('orgs.rotation.deviceBadge')}</span>
                  ) : null}
                </>
              ),
            },
            {
              header: t('orgs.devices.assignee'),
              cell: (device) =>
                device.assignee ? device.assignee.displayName : t('orgs.devices.unassigned'),
            },
            {
              header: t('orgs.devices.lastSeen'),
              cell: (device) =>
                device.lastSeenAt ? (
                  <time dateTime={device.lastSeenAt}>{formatDate(device.lastSeenAt)}</time>
                ) : (
                  t('orgs.devices.neverSeen')
                ),
            },
          ]}
        />
      ) : null}
      {nextCursor ? (
        <p>
          <button type="button" className="button" onClick={loadMore}>
            {t('orgs.devices.more')}
          </button>
        </p>
      ) : null}
    </>
  );
}

function DevicesOverview({ organisation }: { organisation: Organisation }) {
  const account = useActiveAccount();
  // A new list after marking, so each device shows its new state.
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <DeviceList key={generation} organisation={organisation} />
      {managingRoles.includes(organisation.role) ? (
        <RotateOrganisation
          orgId={organisation.id}
          onMarked={() => {
            invalidate(account.id, `/orgs/${organisation.id}/`);
            setGeneration((value) => value + 1);
          }}
        />
      ) : null}
    </>
  );
}

export function OrganisationDevicesPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="devices">
      {(organisation) => <DevicesOverview organisation={organisation} />}
    </OrganisationPage>
  );
}

function AssignForm({
  organisation,
  device,
  onAssigned,
}: {
  organisation: Organisation;
  device: DeviceDetail;
  onAssigned: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const emailId = useId();
  const [email, setEmail] = useState(device.assignee?.email ?? '');
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    setMessage('');
    const assignee = email.trim() === '' ? null : email.trim();
    assignDevice(account.id, organisation.id, device.id, assignee)
      .then(() => {
        setMessage(assignee ? t('orgs.device.assigned') : t('orgs.device.unassignedNow'));
        onAssigned();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={emailId}>{t('orgs.device.assignLabel')}</label>
        <div className="input-with-button">
          <input
            id={emailId}
            type="email"
            autoComplete="off"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
          />
          <button type="submit" className="button">
            {t('orgs.device.assign')}
          </button>
        </div>
        <p className="hint">{t('orgs.device.assignHint')}</p>
      </div>
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
    </form>
  );
}

function KeyLine({
  summary,
  mayReveal,
  onReveal,
}: {
  summary: KeySummary;
  mayReveal: boolean;
  onReveal: () => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="key-line">
      <KeyId protectorId={summary.protectorId} luks={summary.luks} />
      <span className="hint">
        {t('orgs.device.addedOn', { date: formatDateTime(summary.createdAt) })}
      </span>
      <RotationBadge summary={summary} />
      {summary.deletedAt ? <span className="badge">{t('orgs.device.inBin')}</span> : null}
      {mayReveal && !summary.deletedAt ? (
        <RevealButton summary={summary} onReveal={onReveal} />
      ) : null}
    </div>
  );
}

function RotateDevice({
  orgId,
  deviceId,
  onMarked,
}: {
  orgId: string;
  deviceId: string;
  onMarked: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const mark = () => {
    setError(undefined);
    rotateDevice(account.id, orgId, deviceId)
      .then(({ marked }) => {
        setMessage(t('orgs.rotation.marked', { count: marked }));
        onMarked();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };
  return (
    <div className="stack">
      <p className="hint">{t('orgs.rotation.deviceHint')}</p>
      <div>
        <button type="button" className="button" onClick={mark}>
          {t('orgs.rotation.markDevice')}
        </button>
      </div>
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
    </div>
  );
}

/** Every drive of the organisation gets a new key: after a breach, or a helpdesk gone rogue. */
function RotateOrganisation({ orgId, onMarked }: { orgId: string; onMarked: () => void }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const mark = () => {
    setError(undefined);
    rotateOrganisation(account.id, orgId)
      .then(({ marked }) => {
        setConfirming(false);
        setMessage(t('orgs.rotation.marked', { count: marked }));
        onMarked();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };
  return (
    <section className="card stack" aria-labelledby="rotate-all-heading">
      <h2 id="rotate-all-heading">{t('orgs.rotation.allTitle')}</h2>
      <p>{t('orgs.rotation.allIntro')}</p>
      {confirming ? (
        <div className="form-actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              setConfirming(false);
            }}
          >
            {t('common.cancel')}
          </button>
          <button type="button" className="button button-danger" onClick={mark}>
            {t('orgs.rotation.allConfirm')}
          </button>
        </div>
      ) : (
        <div>
          <button
            type="button"
            className="button"
            onClick={() => {
              setConfirming(true);
            }}
          >
            {t('orgs.rotation.markAll')}
          </button>
        </div>
      )}
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
    </section>
  );
}

function DeviceView({ organisation, deviceId }: { organisation: Organisation; deviceId: string }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const device = useResource(cacheKey(account.id, `/orgs/${orgId}/devices/${deviceId}`), () =>
    getDevice(account.id, orgId, deviceId),
  );
  const [revealing, setRevealing] = useState<RevealRequest | null>(null);
  const mayReveal = revealingRoles.includes(organisation.role);
  const changed = () => {
    invalidate(account.id, `/orgs/${orgId}/`);
    device.reload();
  };

  const data = device.data?.device;
  if (!data) {
    return device.error ? (
      <ErrorMessage error={device.error} />
    ) : (
      <p role="status">{t('common.loading')}</p>
    );
  }
  return (
    <>
      <p>
        <Link to={organisationPath(orgId, 'devices')}>{t('orgs.device.back')}</Link>
      </p>
      <section className="card stack" aria-labelledby="device-heading">
        <h2 id="device-heading">{data.name}</h2>
        <dl className="facts">
          <div>
            <dt>{t('orgs.devices.assignee')}</dt>
            <dd>
              {data.assignee
                ? `${data.assignee.displayName} (${data.assignee.email})`
                : t('orgs.devices.unassigned')}
            </dd>
          </div>
          <div>
            <dt>{t('orgs.devices.lastSeen')}</dt>
            <dd>
              {data.lastSeenAt ? (
                <time dateTime={data.lastSeenAt}>{formatDateTime(data.lastSeenAt)}</time>
              ) : (
                t('orgs.devices.neverSeen')
              )}
            </dd>
          </div>
          <div>
            <dt>{t('orgs.rotation.title')}</dt>
            <dd>
              {data.rotation === 'required' && data.rotationRequiredSince ? (
                <span className="badge badge-warning">
                  {t('orgs.rotation.requiredSince', {
                    date: formatDateTime(data.rotationRequiredSince),
                  })}
                </span>
              ) : (
                t('orgs.rotation.upToDate')
              )}
            </dd>
          </div>
        </dl>
        {writingRoles.includes(organisation.role) ? (
          <AssignForm organisation={organisation} device={data} onAssigned={changed} />
        ) : null}
        {managingRoles.includes(organisation.role) ? (
          <RotateDevice orgId={orgId} deviceId={data.id} onMarked={changed} />
        ) : null}
      </section>
      <h2>{t('orgs.device.drives')}</h2>
      {data.drives.length === 0 ? <p>{t('orgs.device.noDrives')}</p> : null}
      {data.drives.map((drive) => (
        <section
          key={drive.id}
          className="card stack drive-card"
          aria-labelledby={`drive-${drive.id}`}
        >
          <h3 id={`drive-${drive.id}`}>
            <DriveLabel
              volume={{ label: drive.label, type: drive.type, volumeGuid: drive.volumeGuid }}
            />
          </h3>
          {drive.volumeGuid ? (
            <p className="hint">
              {(drive.currentKey ?? drive.previousKeys[0])?.kind === 'luks'
                ? t('orgs.device.luksUuid')
                : t('orgs.device.volumeGuid')}{' '}
              <code>{drive.volumeGuid}</code>
            </p>
          ) : null}
          <h4>{t('orgs.device.currentKey')}</h4>
          {drive.currentKey ? (
            <KeyLine
              summary={drive.currentKey}
              mayReveal={mayReveal}
              onReveal={() => {
                if (drive.currentKey) setRevealing({ key: drive.currentKey });
              }}
            />
          ) : (
            <p className="alert alert-warning">{t('orgs.device.noCurrentKey')}</p>
          )}
          {drive.previousKeys.length > 0 ? (
            <>
              <h4>{t('orgs.device.previousKeys')}</h4>
              <ul className="plain-list">
                {drive.previousKeys.map((summary) => (
                  <li key={summary.id}>
                    <KeyLine
                      summary={summary}
                      mayReveal={mayReveal}
                      onReveal={() => {
                        setRevealing({ key: summary });
                      }}
                    />
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ))}
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

export function OrganisationDevicePage({ orgId, deviceId }: { orgId: string; deviceId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="devices">
      {(organisation) => <DeviceView organisation={organisation} deviceId={deviceId} />}
    </OrganisationPage>
  );
}
