import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, saveFile } from '../api/client.js';
import {
  deleteKey,
  downloadRecoveryFile,
  downloadSheet,
  getKey,
  listBackups,
  moveToVault,
  recordBackup,
  restoreKey,
  revealKey,
  type KeySummary,
} from '../api/keys.js';
import { DriveLabel } from '../components/drive.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import { Page } from '../components/page.js';
import { RecoveryKeyBlocks } from '../components/recovery-key-blocks.js';
import { formatCountdown, formatDate, formatDateTime } from '../format.js';
import { currentLanguage, defaultPaper, type Paper } from '../i18n.js';
import { Link, useLocation } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { revealSeconds, useCountdown } from '../state/countdown.js';
import { useActiveAccount } from '../state/session.js';

function RevealPanel({ summary, autoReveal }: { summary: KeySummary; autoReveal: boolean }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [recoveryPassword, setRecoveryPassword] = useState<string | null>(null);
  const [hideAt, setHideAt] = useState<number | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const secondsLeft = useCountdown(hideAt);
  const autoRevealed = useRef(false);

  const hide = () => {
    setRecoveryPassword(null);
    setHideAt(null);
    setCopied(false);
  };

  useEffect(() => {
    if (hideAt !== null && secondsLeft === 0) hide();
  }, [hideAt, secondsLeft]);

  const reveal = () => {
    setBusy(true);
    setError(undefined);
    revealKey(account.id, summary.id)
      .then((revealed) => {
        setRecoveryPassword(revealed.recoveryPassword);
        setHideAt(Date.now() + revealSeconds * 1000);
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  useEffect(() => {
    // Arriving from "Find my key" with the explicit request to show this key.
    if (autoReveal && !autoRevealed.current) {
      autoRevealed.current = true;
      reveal();
    }
  });

  const copy = () => {
    if (!recoveryPassword) return;
    navigator.clipboard.writeText(recoveryPassword).then(
      () => {
        setCopied(true);
      },
      (caught: unknown) => {
        setError(caught);
      },
    );
  };

  const vaultLocked = error instanceof ApiError && error.code === 'vault_locked';
  return (
    <section className="card stack" aria-labelledby="reveal-heading">
      <h2 id="reveal-heading">{t('detail.reveal.title')}</h2>
      {recoveryPassword ? (
        <>
          <RecoveryKeyBlocks recoveryPassword={recoveryPassword} />
          <p className="hint" role="timer" aria-live="off">
            {t('detail.reveal.hidesIn', {
              time: formatCountdown(Math.min(secondsLeft, revealSeconds)),
            })}
          </p>
          <div className="button-row">
            <button type="button" className="button button-primary" onClick={copy}>
              {copied ? t('detail.reveal.copied') : t('detail.reveal.copy')}
            </button>
            <button type="button" className="button" onClick={hide}>
              {t('detail.reveal.hide')}
            </button>
          </div>
          <p className="visually-hidden" role="status">
            {copied ? t('detail.reveal.copied') : ''}
          </p>
        </>
      ) : (
        <>
          <p>{t('detail.reveal.intro')}</p>
          <div>
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={reveal}
            >
              {t('detail.reveal.show')}
            </button>
          </div>
        </>
      )}
      {vaultLocked ? (
        <p className="alert alert-warning" role="alert">
          {t('detail.reveal.vaultLocked')} <Link to="/vault">{t('detail.vault.unlock')}</Link>
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
    </section>
  );
}

/** Where a downloaded copy went: what the library records as its backup. */
type KeptPlace = 'usb' | 'file' | 'print';

/**
 * Asked after each download of the recovery file or sheet: only a copy kept away from the
 * computer is a backup, so the answer (or "not yet") decides what is recorded.
 */
function WhereKept({
  what,
  onAnswer,
}: {
  what: 'file' | 'sheet';
  onAnswer: (place: KeptPlace | null) => void;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [what]);
  return (
    <div className="where-kept stack" role="group" aria-labelledby={headingId}>
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        {t('detail.backup.where.title')}
      </h3>
      <p className="hint">{t(`detail.backup.where.intro.${what}`)}</p>
      <div className="button-row">
        {(['usb', 'file', 'print'] as const).map((place) => (
          <button
            key={place}
            type="button"
            className="button"
            onClick={() => {
              onAnswer(place);
            }}
          >
            {t(`detail.backup.where.${place}`)}
          </button>
        ))}
        <button
          type="button"
          className="button"
          onClick={() => {
            onAnswer(null);
          }}
        >
          {t('detail.backup.where.notYet')}
        </button>
      </div>
    </div>
  );
}

function BackupPanel({ summary, onChange }: { summary: KeySummary; onChange: () => void }) {
  const { t, i18n } = useTranslation();
  const account = useActiveAccount();
  // Until the person picks a size, it follows the app's language (A4 for Bokmål).
  const [chosenPaper, setPaper] = useState<Paper | null>(null);
  const paper = chosenPaper ?? defaultPaper(i18n.language, navigator.language);
  const [destination, setDestination] = useState<'usb' | 'file' | 'print'>('usb');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const [asking, setAsking] = useState<'file' | 'sheet' | null>(null);
  const paperId = useId();
  const noteId = useId();
  const backups = useResource(cacheKey(account.id, `/keys/${summary.id}/backups`), () =>
    listBackups(account.id, summary.id),
  );

  const done = (text: string) => {
    setMessage(text);
    invalidate(account.id, `/keys/${summary.id}`);
    backups.reload();
    onChange();
  };

  const fail = (caught: unknown) => {
    setError(caught);
  };

  const downloadFile = () => {
    setError(undefined);
    downloadRecoveryFile(account.id, summary, currentLanguage())
      .then((file) => {
        saveFile(file);
        // A download is not a backup until the copy is kept somewhere away from the computer.
        setMessage(t('detail.backup.fileSaved', { name: file.filename }));
        setAsking('file');
      })
      .catch(fail);
  };

  const printSheet = () => {
    setError(undefined);
    downloadSheet(account.id, summary, currentLanguage(), paper)
      .then((file) => {
        saveFile(file);
        setMessage(t('detail.backup.sheetSaved', { name: file.filename }));
        setAsking('sheet');
      })
      .catch(fail);
  };

  const answer = (place: KeptPlace | null) => {
    setAsking(null);
    if (place === null) {
      setMessage(t('detail.backup.where.notRecorded'));
      return;
    }
    setError(undefined);
    recordBackup(account.id, summary.id, { destination: place })
      .then(() => {
        done(t('detail.backup.where.recorded', { place: t(`keys.destination.${place}`) }));
      })
      .catch(fail);
  };

  const record = (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    recordBackup(account.id, summary.id, {
      destination,
      ...(note.trim() ? { note: note.trim() } : {}),
    })
      .then(() => {
        setNote('');
        done(t('detail.backup.recorded'));
      })
      .catch(fail);
  };

  return (
    <section className="card stack" aria-labelledby="backup-heading">
      <h2 id="backup-heading">{t('detail.backup.title')}</h2>
      {summary.hasOfflineBackup ? null : (
        <p className="alert alert-warning">{t('detail.backup.noOffline')}</p>
      )}
      <div className="button-row">
        <button type="button" className="button" onClick={downloadFile}>
          {t('detail.backup.download')}
        </button>
        <span className="inline-field">
          <label htmlFor={paperId}>{t('detail.backup.paper')}</label>
          <select
            id={paperId}
            value={paper}
            onChange={(event) => {
              setPaper(event.target.value === 'letter' ? 'letter' : 'a4');
            }}
          >
            <option value="a4">A4</option>
            <option value="letter">Letter</option>
          </select>
        </span>
        <button type="button" className="button" onClick={printSheet}>
          {t('detail.backup.print')}
        </button>
      </div>
      <p className="hint">{t('detail.backup.keepApart')}</p>
      {asking ? <WhereKept what={asking} onAnswer={answer} /> : null}
      <form className="stack record-backup" onSubmit={record}>
        <fieldset>
          <legend>{t('detail.backup.recordTitle')}</legend>
          {(['usb', 'file', 'print'] as const).map((value) => (
            <label key={value} className="check">
              <input
                type="radio"
                name="destination"
                value={value}
                checked={destination === value}
                onChange={() => {
                  setDestination(value);
                }}
              />
              {t(`detail.backup.destinations.${value}`)}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={noteId}>{t('detail.backup.note')}</label>
          <input
            id={noteId}
            maxLength={200}
            value={note}
            onChange={(event) => {
              setNote(event.target.value);
            }}
          />
        </div>
        <div>
          <button type="submit" className="button">
            {t('detail.backup.record')}
          </button>
        </div>
      </form>
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
      {backups.data && backups.data.items.length > 0 ? (
        <>
          <h3>{t('detail.backup.history')}</h3>
          <ul className="plain-list history">
            {backups.data.items.map((backup) => (
              <li key={backup.id}>
                <time dateTime={backup.at}>{formatDateTime(backup.at)}</time>{' '}
                {t(`keys.destination.${backup.destination}`)}
                {backup.note ? ` · ${backup.note}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function VaultPanel({ summary, onChange }: { summary: KeySummary; onChange: () => void }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [error, setError] = useState<unknown>(undefined);
  const move = () => {
    setError(undefined);
    moveToVault(account.id, summary.id, !summary.inVault)
      .then(() => {
        invalidate(account.id);
        onChange();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };
  const locked = error instanceof ApiError && error.code === 'vault_locked';
  return (
    <section className="card stack" aria-labelledby="vault-heading">
      <h2 id="vault-heading">{t('detail.vault.title')}</h2>
      <p>{summary.inVault ? t('detail.vault.inside') : t('detail.vault.outside')}</p>
      <div>
        <button type="button" className="button" onClick={move}>
          {summary.inVault ? t('detail.vault.moveOut') : t('detail.vault.moveIn')}
        </button>
      </div>
      {locked ? (
        <p className="alert alert-warning" role="alert">
          {t('detail.vault.locked')} <Link to="/vault">{t('detail.vault.unlock')}</Link>
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
    </section>
  );
}

function DeletePanel({ summary, onChange }: { summary: KeySummary; onChange: () => void }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [confirmed, setConfirmed] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const confirmId = useId();

  const finish = () => {
    invalidate(account.id);
    setConfirmed(false);
    onChange();
  };
  const fail = (caught: unknown) => {
    setError(caught);
  };

  if (summary.deletedAt) {
    return (
      <section className="card stack" aria-labelledby="delete-heading">
        <h2 id="delete-heading">{t('detail.delete.deletedTitle')}</h2>
        <p>{t('keys.deleted.on', { date: formatDate(summary.deletedAt) })}</p>
        <div>
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              restoreKey(account.id, summary.id).then(finish).catch(fail);
            }}
          >
            {t('keys.restore')}
          </button>
        </div>
        <ErrorMessage error={error} />
      </section>
    );
  }

  return (
    <section className="card stack danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">{t('detail.delete.title')}</h2>
      <p>{t('detail.delete.intro')}</p>
      <label className="check" htmlFor={confirmId}>
        <input
          id={confirmId}
          type="checkbox"
          checked={confirmed}
          onChange={(event) => {
            setConfirmed(event.target.checked);
          }}
        />
        {t('detail.delete.confirm')}
      </label>
      <div>
        <button
          type="button"
          className="button button-danger"
          disabled={!confirmed}
          onClick={() => {
            deleteKey(account.id, summary.id).then(finish).catch(fail);
          }}
        >
          {t('detail.delete.submit')}
        </button>
      </div>
      <ErrorMessage error={error} />
    </section>
  );
}

export function KeyDetailPage({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const account = useActiveAccount();
  const { query } = useLocation();
  const saved = query.get('saved');
  const key = useResource(cacheKey(account.id, `/keys/${id}`), () => getKey(account.id, id));
  const summary = key.data?.key;

  if (!summary) {
    return (
      <Page title={t('detail.title')}>
        {key.error ? (
          <ErrorMessage error={key.error} />
        ) : (
          <p role="status">{t('common.loading')}</p>
        )}
        <p>
          <Link to="/keys">{t('keys.backToLibrary')}</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page
      title={`${summary.deviceName} · ${summary.volume.label || t(`keys.driveType.${summary.volume.type}`)}`}
    >
      <p>
        <Link to="/keys">{t('keys.backToLibrary')}</Link>
      </p>
      {saved ? (
        <p className="alert alert-ok" role="status">
          {saved === 'none'
            ? t('detail.saved.kept')
            : t('detail.saved.updated', {
                details: saved
                  .split(',')
                  .filter((field) => i18n.exists(`keys.detailFields.${field}`))
                  .map((field) => t(`keys.detailFields.${field}`))
                  .join(', '),
              })}
        </p>
      ) : null}
      <dl className="facts card">
        <div>
          <dt>{t('keys.columns.keyId')}</dt>
          <dd>
            <KeyId protectorId={summary.protectorId} luks={summary.luks} className="key-id-large" />
          </dd>
        </div>
        <div>
          <dt>{t('keys.columns.device')}</dt>
          <dd>{summary.deviceName}</dd>
        </div>
        <div>
          <dt>{t('keys.columns.drive')}</dt>
          <dd>
            <DriveLabel volume={summary.volume} />
          </dd>
        </div>
        <div>
          <dt>{t('keys.columns.uploaded')}</dt>
          <dd>
            <time dateTime={summary.createdAt}>{formatDateTime(summary.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>{t('keys.columns.backups')}</dt>
          <dd>
            {t('keys.backupCount', { count: summary.backupCount })}
            {summary.lastBackup
              ? ` · ${t('detail.lastBackup', {
                  destination: t(`keys.destination.${summary.lastBackup.destination}`),
                  date: formatDate(summary.lastBackup.at),
                })}`
              : ''}
          </dd>
        </div>
      </dl>
      {summary.deletedAt ? null : (
        <div className="detail-grid">
          <div className="detail-column">
            <RevealPanel summary={summary} autoReveal={query.get('reveal') === '1'} />
            <VaultPanel summary={summary} onChange={key.reload} />
          </div>
          <BackupPanel summary={summary} onChange={key.reload} />
        </div>
      )}
      <DeletePanel summary={summary} onChange={key.reload} />
    </Page>
  );
}
