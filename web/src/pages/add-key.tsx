import {
  useId,
  useRef,
  useState,
  type ClipboardEvent,
  type DragEvent,
  type SubmitEvent,
} from 'react';
import { useTranslation } from 'react-i18next';
import { parseProtectorId } from '../../../src/bitlocker/protector-id.js';
import { ApiError } from '../api/client.js';
import {
  addKey,
  importKeys,
  type DriveType,
  type ImportResult,
  type ImportUpload,
} from '../api/keys.js';
import { DataTable } from '../components/data-table.js';
import { ErrorMessage } from '../components/error-message.js';
import { KeyId } from '../components/key-id.js';
import { Page } from '../components/page.js';
import { checkRecoveryPassword, findProtectorId } from '../components/password-blocks.js';
import { Link, navigate } from '../router.js';
import { invalidate } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

/**
 * Recovery files are a few KB. The upload travels base64-encoded in JSON (the API takes no other
 * content type from browsers) and API bodies are limited to 64 KiB.
 */
const largestImportBytes = 40 * 1024;

function isProtectorId(text: string): boolean {
  try {
    parseProtectorId(text);
    return true;
  } catch {
    return false;
  }
}

const initialLabel = 'C:';
const initialType: DriveType = 'os';

function PasteForm() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [password, setPassword] = useState('');
  const [protectorId, setProtectorId] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [label, setLabel] = useState(initialLabel);
  const [driveType, setDriveType] = useState<DriveType>(initialType);
  // The drive fields start with a guess; only what the person changes replaces a stored key's.
  const [labelChanged, setLabelChanged] = useState(false);
  const [typeChanged, setTypeChanged] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const ids = {
    password: useId(),
    passwordStatus: useId(),
    protectorId: useId(),
    protectorIdHint: useId(),
    device: useId(),
    label: useId(),
    type: useId(),
  };

  const check = checkRecoveryPassword(password);
  const badBlocks = check.blocks
    .map((block, index) => ({ ...block, position: index + 1 }))
    .filter((block) => block.state === 'bad');
  const idValid = isProtectorId(protectorId);
  const showIdError = (submitted || protectorId.length >= 32) && !idValid;

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    // A whole recovery file pasted in: take its Key ID too, and keep just the 48 digits.
    const text = event.clipboardData.getData('text');
    const pastedId = findProtectorId(text);
    const pasted = checkRecoveryPassword(text);
    if (pastedId && pasted.normalized) {
      event.preventDefault();
      setPassword(pasted.normalized);
      if (!protectorId) setProtectorId(pastedId);
    }
  };

  const passwordStatus = (() => {
    if (check.normalized) return t('add.paste.valid');
    const [firstBad] = badBlocks;
    if (firstBad) {
      return t('add.paste.badBlock', { block: firstBad.position, value: firstBad.value });
    }
    if (check.tooManyDigits) return t('add.paste.tooManyDigits', { count: check.digitCount });
    if (check.digitCount === 0) return t('add.paste.howTo');
    return t('add.paste.progress', { count: check.digitCount });
  })();

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!check.normalized || !idValid || !deviceName.trim()) return;
    setBusy(true);
    setError(undefined);
    addKey(account.id, {
      protectorId: parseProtectorId(protectorId),
      recoveryPassword: check.normalized,
      deviceName: deviceName.trim(),
      volume: {
        ...(labelChanged ? { label: label.trim() } : {}),
        ...(typeChanged ? { type: driveType } : {}),
      },
      defaults: { volumeLabel: label.trim(), volumeType: driveType },
      source: 'manual',
    })
      .then(({ key, created, updated }) => {
        invalidate(account.id, '/keys');
        // A key already in the library opens saying which of its details changed.
        const saved = created ? '' : `?saved=${updated.length > 0 ? updated.join(',') : 'none'}`;
        navigate(`/keys/${encodeURIComponent(key.id)}${saved}`);
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const conflict = error instanceof ApiError && error.code === 'conflict';
  return (
    <form className="card stack" onSubmit={submit} noValidate>
      <h2>{t('add.paste.title')}</h2>
      <div className="field">
        <label htmlFor={ids.password}>{t('add.paste.password')}</label>
        <textarea
          id={ids.password}
          className="password-input"
          rows={2}
          autoComplete="off"
          spellCheck={false}
          inputMode="numeric"
          aria-describedby={ids.passwordStatus}
          aria-invalid={badBlocks.length > 0 || (submitted && !check.normalized)}
          value={password}
          onPaste={onPaste}
          onChange={(event) => {
            setPassword(event.target.value);
          }}
        />
        <ol className="block-meter" aria-hidden="true">
          {check.blocks.map((block, index) => (
            <li key={index} className={`block block-${block.state}`}>
              {block.value || '······'}
            </li>
          ))}
        </ol>
        <p
          id={ids.passwordStatus}
          className={
            badBlocks.length > 0 ? 'hint hint-error' : check.normalized ? 'hint hint-ok' : 'hint'
          }
          aria-live="polite"
        >
          {passwordStatus}
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.protectorId}>{t('add.paste.keyId')}</label>
        <input
          id={ids.protectorId}
          className="mono"
          autoComplete="off"
          spellCheck={false}
          placeholder="1A2B3C4D-0000-0000-0000-000000000000"
          aria-describedby={ids.protectorIdHint}
          aria-invalid={showIdError}
          value={protectorId}
          onChange={(event) => {
            setProtectorId(event.target.value);
          }}
        />
        <p id={ids.protectorIdHint} className={showIdError ? 'hint hint-error' : 'hint'}>
          {showIdError ? t('add.paste.keyIdInvalid') : t('add.paste.keyIdHint')}
        </p>
      </div>
      <div className="field-row">
        <div className="field field-grow">
          <label htmlFor={ids.device}>{t('add.paste.device')}</label>
          <input
            id={ids.device}
            required
            maxLength={100}
            aria-invalid={submitted && !deviceName.trim()}
            value={deviceName}
            onChange={(event) => {
              setDeviceName(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.label}>{t('add.paste.driveLabel')}</label>
          <input
            id={ids.label}
            maxLength={60}
            className="short-input"
            value={label}
            onChange={(event) => {
              setLabel(event.target.value);
              setLabelChanged(true);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.type}>{t('add.paste.driveType')}</label>
          <select
            id={ids.type}
            value={driveType}
            onChange={(event) => {
              setDriveType(event.target.value as DriveType);
              setTypeChanged(true);
            }}
          >
            {(['os', 'fixed', 'removable'] as const).map((type) => (
              <option key={type} value={type}>
                {t(`keys.driveType.${type}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {submitted && !deviceName.trim() ? (
        <p className="hint hint-error">{t('add.paste.deviceMissing')}</p>
      ) : null}
      {conflict ? (
        <p className="alert alert-error" role="alert">
          {t('add.paste.conflict')}
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {t('add.paste.submit')}
        </button>
      </div>
    </form>
  );
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === 'string' ? reader.result : '';
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error('read failed'));
    };
    reader.readAsDataURL(file);
  });
}

function ImportPanel() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [file, setFile] = useState<ImportUpload | null>(null);
  const [deviceName, setDeviceName] = useState('');
  const deviceId = useId();
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [tooLarge, setTooLarge] = useState(false);
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);

  const take = (chosen: File | undefined) => {
    if (!chosen) return;
    setError(undefined);
    setPreview(null);
    setDone(null);
    setTooLarge(chosen.size > largestImportBytes);
    if (chosen.size > largestImportBytes) return;
    setBusy(true);
    readAsBase64(chosen)
      .then(async (contentBase64) => {
        const upload = { filename: chosen.name, contentBase64 };
        setFile(upload);
        setPreview(await importKeys(account.id, upload, true));
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const confirm = () => {
    if (!file) return;
    setBusy(true);
    importKeys(
      account.id,
      { ...file, ...(deviceName.trim() ? { deviceName: deviceName.trim() } : {}) },
      false,
    )
      .then((result) => {
        invalidate(account.id, '/keys');
        setDone(result);
        setPreview(null);
        setFile(null);
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    take(event.dataTransfer.files[0]);
  };

  const usable = preview?.found.filter((item) => item.action === 'add' || item.action === 'update');
  return (
    <section className="card stack" aria-labelledby="import-heading">
      <h2 id="import-heading">{t('add.import.title')}</h2>
      <div
        className={dragging ? 'dropzone dropzone-active' : 'dropzone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => {
          setDragging(false);
        }}
        onDrop={onDrop}
      >
        <p>{t('add.import.drop')}</p>
        <label htmlFor={inputId} className="button">
          {t('add.import.choose')}
        </label>
        <input
          ref={input}
          id={inputId}
          type="file"
          className="visually-hidden"
          accept=".txt,.TXT,.bek,.BEK,.json,.log,text/plain,application/json"
          onChange={(event) => {
            take(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
        <p className="hint">{t('add.import.kinds')}</p>
      </div>
      {busy ? <p role="status">{t('common.loading')}</p> : null}
      {tooLarge ? (
        <p className="alert alert-error" role="alert">
          {t('add.import.tooLarge')}
        </p>
      ) : null}
      <ErrorMessage error={error} />
      {preview ? (
        <div className="stack">
          <h3>
            {t('add.import.found', { count: preview.found.length, name: file?.filename ?? '' })}
          </h3>
          {preview.found.length > 0 ? (
            <DataTable
              caption={t('add.import.found', {
                count: preview.found.length,
                name: file?.filename ?? '',
              })}
              // A file may name one key twice; its place in the file tells the rows apart.
              rows={preview.found.map((item, index) => ({ item, index }))}
              rowKey={({ item, index }) => `${item.protectorId}-${index}`}
              columns={[
                {
                  header: t('keys.columns.keyId'),
                  cell: ({ item }) => <KeyId protectorId={item.protectorId} />,
                },
                {
                  header: t('keys.columns.drive'),
                  cell: ({ item }) =>
                    [
                      item.volume?.label,
                      item.volume?.type ? t(`keys.driveType.${item.volume.type}`) : undefined,
                    ]
                      .filter(Boolean)
                      .join(' · ') || '–',
                },
                {
                  header: t('add.import.action'),
                  cell: ({ item }) => (
                    <>
                      <span
                        className={item.action === 'conflict' ? 'badge badge-warning' : 'badge'}
                      >
                        {t(`add.import.actions.${item.action}`)}
                      </span>
                      {item.reason ? <span className="hint"> {item.reason}</span> : null}
                      {item.updated && item.updated.length > 0 ? (
                        <span className="hint">
                          {' '}
                          {t('add.import.updates', {
                            details: item.updated
                              .map((field) => t(`keys.detailFields.${field}`))
                              .join(', '),
                          })}
                        </span>
                      ) : null}
                    </>
                  ),
                },
              ]}
            />
          ) : (
            <p>{t('add.import.nothing')}</p>
          )}
          <div className="field">
            <label htmlFor={deviceId}>{t('add.import.device')}</label>
            <input
              id={deviceId}
              maxLength={100}
              value={deviceName}
              onChange={(event) => {
                setDeviceName(event.target.value);
              }}
            />
          </div>
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              disabled={busy || !usable || usable.length === 0}
              onClick={confirm}
            >
              {t('add.import.confirm', { count: usable?.length ?? 0 })}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setPreview(null);
                setFile(null);
              }}
            >
              {t('common.cancel')}
            </button>
          </div>
        </div>
      ) : null}
      {done ? (
        <p className="alert alert-ok" role="status">
          {t('add.import.done', { added: done.added, updated: done.updated })}{' '}
          {done.found
            .filter((item) => item.updated && item.updated.length > 0)
            .map((item) => (
              <span key={item.protectorId}>
                {t('add.import.updatedKey', {
                  shortId: item.protectorId.slice(0, 8),
                  details: (item.updated ?? [])
                    .map((field) => t(`keys.detailFields.${field}`))
                    .join(', '),
                })}{' '}
              </span>
            ))}
          <Link to="/keys">{t('keys.backToLibrary')}</Link>
        </p>
      ) : null}
    </section>
  );
}

export function AddKeyPage() {
  const { t } = useTranslation();
  return (
    <Page title={t('add.title')} intro={<p>{t('add.intro')}</p>}>
      <p>
        <Link to="/keys">{t('keys.backToLibrary')}</Link>
      </p>
      <div className="detail-grid">
        <PasteForm />
        <ImportPanel />
      </div>
    </Page>
  );
}
