import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { saveFile } from '../api/client.js';
import {
  downloadUploadedFile,
  listFiles,
  moveFileToVault,
  type UploadedFile,
} from '../api/keys.js';
import { formatDate, formatNumber } from '../format.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { ErrorMessage } from './error-message.js';

function formatSize(bytes: number): string {
  return bytes < 1024
    ? formatNumber(bytes, { style: 'unit', unit: 'byte', unitDisplay: 'short' })
    : formatNumber(bytes / 1024, {
        style: 'unit',
        unit: 'kilobyte',
        unitDisplay: 'short',
        maximumFractionDigits: 1,
      });
}

/**
 * The key files this account imported, kept as they were sent: each can be downloaded and moved
 * into or out of the vault (out of it, and downloading one in it, needs the vault open).
 */
export function UploadedFiles() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const files = useResource(cacheKey(account.id, '/files'), (signal) =>
    listFiles(account.id, signal),
  );
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<string | null>(null);

  const move = (file: UploadedFile) => {
    setError(undefined);
    setBusy(file.id);
    moveFileToVault(account.id, file.id, !file.inVault)
      .then(() => {
        invalidate(account.id);
        files.reload();
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(null);
      });
  };

  const download = (file: UploadedFile) => {
    setError(undefined);
    downloadUploadedFile(account.id, file.id, file.fileName)
      .then(saveFile)
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  const items = files.data?.items ?? [];
  return (
    <section className="card stack uploaded-files" aria-labelledby="uploaded-files-heading">
      <h2 id="uploaded-files-heading">{t('files.title')}</h2>
      <p className="hint">{t('files.intro')}</p>
      <ErrorMessage error={files.error ?? error} />
      {files.data && items.length === 0 ? <p>{t('files.none')}</p> : null}
      <ul className="plain-list file-list">
        {items.map((file) => (
          <li key={file.id} className="file-item">
            <div className="file-text">
              <span className="file-name">{file.fileName}</span>
              <span className="hint">
                {t('files.meta', {
                  keys: t('files.keys', { count: file.keyIds.length }),
                  size: formatSize(file.size),
                  date: formatDate(file.createdAt),
                })}
              </span>
              {file.inVault ? <span className="badge">{t('files.inVault')}</span> : null}
            </div>
            <div className="file-actions">
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  download(file);
                }}
              >
                {t('files.download')}
                <span className="visually-hidden"> {file.fileName}</span>
              </button>
              <button
                type="button"
                className="button button-small"
                disabled={busy === file.id}
                onClick={() => {
                  move(file);
                }}
              >
                {file.inVault ? t('files.outOfVault') : t('files.toVault')}
                <span className="visually-hidden"> {file.fileName}</span>
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
