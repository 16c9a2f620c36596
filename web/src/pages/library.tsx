import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listKeys, purgeKey, restoreKey, type KeySummary } from '../api/keys.js';
import { DataTable } from '../components/data-table.js';
import { DriveLabel } from '../components/drive.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import { LibrarySwitcher } from '../components/organisation-page.js';
import { Page } from '../components/page.js';
import { UploadedFiles } from '../components/uploaded-files.js';
import { formatDate, formatNumber } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useKeySearch } from '../state/key-search.js';
import { useActiveAccount } from '../state/session.js';

/** One page of the table; thousands of keys are paged by cursor, never all in the DOM. */
const pageSize = 50;

function BackupsCell({ summary }: { summary: KeySummary }) {
  const { t } = useTranslation();
  return (
    <span className="backups-cell">
      <span>{t('keys.backupCount', { count: summary.backupCount })}</span>
      {summary.hasOfflineBackup ? null : (
        <span className="badge badge-warning">{t('keys.noOfflineCopy')}</span>
      )}
    </span>
  );
}

function KeyTable({ items, caption }: { items: KeySummary[]; caption: string }) {
  const { t } = useTranslation();
  return (
    <DataTable
      caption={caption}
      rows={items}
      rowKey={(summary) => summary.id}
      columns={[
        {
          header: t('keys.columns.keyId'),
          cell: (summary) => (
            <>
              <Link to={`/keys/${encodeURIComponent(summary.id)}`}>
                <KeyId protectorId={summary.protectorId} luks={summary.luks} />
              </Link>
              {summary.inVault ? <span className="badge">{t('keys.inVault')}</span> : null}
            </>
          ),
        },
        { header: t('keys.columns.device'), cell: (summary) => summary.deviceName },
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
        {
          header: t('keys.columns.backups'),
          cell: (summary) => <BackupsCell summary={summary} />,
        },
      ]}
    />
  );
}

function EmptyLibrary() {
  const { t } = useTranslation();
  return (
    <section className="empty-state card">
      <h2>{t('keys.empty.title')}</h2>
      <p>{t('keys.empty.body')}</p>
      <ul>
        <li>{t('keys.empty.paste')}</li>
        <li>{t('keys.empty.file')}</li>
        <li>
          {t('keys.empty.cli')} <code>keyhold backup --to account</code>
        </li>
      </ul>
      <p>
        <Link to="/keys/new" className="button button-primary">
          {t('keys.add')}
        </Link>{' '}
        <Link to="/help/back-up-recovery-key">{t('keys.empty.learn')}</Link>
      </p>
    </section>
  );
}

/** Cursor of each page shown so far, so "previous" works without the server counting. */
function usePager(scope: string) {
  const [state, setState] = useState<{ scope: string; cursors: (string | null)[] }>({
    scope,
    cursors: [null],
  });
  // A new search starts again at the first page.
  const cursors = state.scope === scope ? state.cursors : [null];
  return {
    cursor: cursors.at(-1) ?? null,
    pageIndex: cursors.length - 1,
    next: (cursor: string) => {
      setState({ scope, cursors: [...cursors, cursor] });
    },
    previous: () => {
      setState({ scope, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors });
    },
  };
}

function Pager({
  pageIndex,
  shown,
  nextCursor,
  onNext,
  onPrevious,
}: {
  pageIndex: number;
  shown: number;
  nextCursor: string | null;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
}) {
  const { t } = useTranslation();
  if (pageIndex === 0 && !nextCursor) return null;
  const first = pageIndex * pageSize + 1;
  return (
    <nav className="pager" aria-label={t('keys.pager.label')}>
      <button type="button" className="button" disabled={pageIndex === 0} onClick={onPrevious}>
        {t('keys.pager.previous')}
      </button>
      <span>
        {t('keys.pager.range', {
          first: formatNumber(first),
          last: formatNumber(first + shown - 1),
        })}
      </span>
      <button
        type="button"
        className="button"
        disabled={!nextCursor}
        onClick={() => {
          if (nextCursor) onNext(nextCursor);
        }}
      >
        {t('keys.pager.next')}
      </button>
    </nav>
  );
}

export function LibraryPage() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const searchId = useId();
  // Search as you type, without a request for every keystroke.
  const { typed, setTyped, search } = useKeySearch('/keys');

  const pager = usePager(search);
  const path = `/keys?q=${search}&cursor=${pager.cursor ?? ''}`;
  const page = useResource(cacheKey(account.id, path), (signal) =>
    listKeys(account.id, { q: search, cursor: pager.cursor, limit: pageSize }, signal),
  );
  const items = page.data?.items ?? [];
  const isEmptyLibrary = !search && pager.pageIndex === 0 && page.data && items.length === 0;

  return (
    <Page
      title={t('keys.title')}
      actions={
        <Link to="/keys/new" className="button button-primary">
          {t('keys.add')}
        </Link>
      }
    >
      <LibrarySwitcher current={null} />
      {isEmptyLibrary ? (
        <EmptyLibrary />
      ) : (
        <>
          <div className="toolbar" role="search">
            <div className="field field-grow">
              <label htmlFor={searchId}>{t('keys.search')}</label>
              <input
                id={searchId}
                type="search"
                autoComplete="off"
                spellCheck={false}
                value={typed}
                onChange={(event) => {
                  setTyped(event.target.value);
                }}
              />
            </div>
          </div>
          <ErrorMessage error={page.error} />
          <p className="result-status" role="status">
            {page.loading && !page.data
              ? t('common.loading')
              : search
                ? t('keys.matches', { count: items.length, query: search })
                : ''}
          </p>
          {items.length > 0 ? (
            <KeyTable items={items} caption={t('keys.title')} />
          ) : search && page.data ? (
            <p className="empty-hint">{t('keys.noMatch', { query: search })}</p>
          ) : null}
          <Pager
            pageIndex={pager.pageIndex}
            shown={items.length}
            nextCursor={page.data?.nextCursor ?? null}
            onNext={pager.next}
            onPrevious={pager.previous}
          />
        </>
      )}
      {isEmptyLibrary ? null : <UploadedFiles />}
      <p className="page-footer-links">
        <Link to="/keys/deleted">{t('keys.deleted.link')}</Link>
      </p>
    </Page>
  );
}

export function DeletedKeysPage() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [error, setError] = useState<unknown>(undefined);
  const [restored, setRestored] = useState<string[]>([]);
  const deleted = useResource(cacheKey(account.id, '/keys?deleted'), (signal) =>
    listKeys(account.id, { deleted: true, limit: 200 }, signal),
  );

  const [purged, setPurged] = useState<string[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);

  const purge = (summary: KeySummary) => {
    setError(undefined);
    purgeKey(account.id, summary.id)
      .then(() => {
        invalidate(account.id);
        setConfirming(null);
        setPurged((current) => [...current, summary.id]);
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const restore = (summary: KeySummary) => {
    setError(undefined);
    restoreKey(account.id, summary.id)
      .then(() => {
        invalidate(account.id, '/keys');
        setRestored((current) => [...current, summary.id]);
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const items = deleted.data?.items.filter((item) => item.deletedAt !== null) ?? [];
  return (
    <Page title={t('keys.deleted.title')} intro={<p>{t('keys.deleted.intro')}</p>}>
      <p>
        <Link to="/keys">{t('keys.backToLibrary')}</Link>
      </p>
      <ErrorMessage error={deleted.error ?? error} />
      {deleted.data && items.length === 0 ? <p>{t('keys.deleted.none')}</p> : null}
      <ul className="card-list">
        {items.map((summary) => (
          <li key={summary.id} className="card deleted-item">
            <div>
              <KeyId protectorId={summary.protectorId} luks={summary.luks} />
              <p>
                {summary.deviceName} · <DriveLabel volume={summary.volume} />
              </p>
              {summary.deletedAt ? (
                <p className="hint">
                  {t('keys.deleted.on', { date: formatDate(summary.deletedAt) })}
                </p>
              ) : null}
            </div>
            {restored.includes(summary.id) ? (
              <p role="status">
                {t('keys.deleted.restored')}{' '}
                <Link to={`/keys/${encodeURIComponent(summary.id)}`}>{t('keys.open')}</Link>
              </p>
            ) : purged.includes(summary.id) ? (
              <p role="status">{t('keys.deleted.purged')}</p>
            ) : confirming === summary.id ? (
              <div
                className="stack purge-confirm"
                role="alertdialog"
                aria-labelledby={`purge-${summary.id}`}
              >
                <p id={`purge-${summary.id}`}>
                  {t('keys.deleted.purgeConfirm', { shortId: summary.shortId })}
                </p>
                <div className="form-actions">
                  <button
                    type="button"
                    className="button"
                    onClick={() => {
                      setConfirming(null);
                    }}
                  >
                    {t('common.cancel')}
                  </button>
                  <button
                    type="button"
                    className="button button-danger"
                    onClick={() => {
                      purge(summary);
                    }}
                  >
                    {t('keys.deleted.purgeSubmit')}
                  </button>
                </div>
              </div>
            ) : (
              <div className="deleted-actions">
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    restore(summary);
                  }}
                >
                  {t('keys.restore')}
                  <span className="visually-hidden"> {summary.shortId}</span>
                </button>
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => {
                    setConfirming(summary.id);
                  }}
                >
                  {t('keys.deleted.purge')}
                  <span className="visually-hidden"> {summary.shortId}</span>
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
