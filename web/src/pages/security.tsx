import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { saveFile } from '../api/client.js';
import { exportKeys } from '../api/keys.js';
import { DeviceTokensSection } from '../components/device-tokens.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { PasskeysSection } from '../components/passkeys-section.js';
import { PasswordField } from '../components/password-field.js';
import { PasswordProof, typedPassword } from '../components/password-proof.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };
  return { busy, error, run };
}

function PasswordSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const [changes, setChanges] = useState(0);
  const { busy, error, run } = useAction();

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setDone(false);
    run(async () => {
      await auth.changePassword(account.id, {
        currentPassword: typedPassword(current),
        newPassword: next,
      });
      setCurrent('');
      setNext('');
      setDone(true);
      invalidate(account.id, '/auth/sessions');
      // An account that had no password has one now: the proof field is read afresh.
      invalidate(account.id, '/auth/me');
      setChanges((count) => count + 1);
    });
  };

  return (
    <section className="card stack" aria-labelledby="password-heading">
      <h2 id="password-heading">{t('security.password.title')}</h2>
      <form className="stack" onSubmit={submit}>
        <input type="email" hidden readOnly autoComplete="username" value={account.email} />
        <PasswordProof
          key={changes}
          label={t('security.password.current')}
          value={current}
          onChange={setCurrent}
        />
        <PasswordField
          label={t('security.password.new')}
          value={next}
          onChange={setNext}
          autoComplete="new-password"
          minLength={10}
          hint={t('security.password.hint')}
        />
        <ErrorMessage error={error} />
        {done ? (
          <p className="alert alert-ok" role="status">
            {t('security.password.changed')}
          </p>
        ) : null}
        <div>
          <button type="submit" className="button button-primary" disabled={busy}>
            {t('security.password.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The QR code is drawn in the page (no third party sees the secret); its code loads on demand. */
function QrCode({ text, label }: { text: string; label: string }) {
  const [source, setSource] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void import('qrcode').then(async ({ default: qrcode }) => {
      const svg = await qrcode.toString(text, {
        type: 'svg',
        margin: 2,
        errorCorrectionLevel: 'M',
      });
      if (!cancelled) setSource(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    });
    return () => {
      cancelled = true;
    };
  }, [text]);
  return source ? (
    <img className="qr-code" src={source} alt={label} width="200" height="200" />
  ) : (
    <div className="qr-code" />
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  const download = () => {
    const text = `${t('security.totp.codesFileTitle')}\n\n${codes.join('\n')}\n`;
    saveFile({
      blob: new Blob([text], { type: 'text/plain;charset=utf-8' }),
      filename: 'keyhold-recovery-codes.txt',
    });
  };
  return (
    <div className="stack">
      <h3>{t('security.totp.codesTitle')}</h3>
      <p>{t('security.totp.codesIntro')}</p>
      <ul className="recovery-codes" translate="no">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="button-row">
        <button type="button" className="button" onClick={download}>
          {t('security.totp.downloadCodes')}
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          {t('security.totp.savedCodes')}
        </button>
      </div>
    </div>
  );
}

/** Turning the second factor on, off or renewing codes asks for the password again. */
function PasswordConfirm({
  label,
  submitLabel,
  busy,
  onConfirm,
}: {
  label: string;
  submitLabel: string;
  busy: boolean;
  onConfirm: (password: string | undefined) => void;
}) {
  const [password, setPassword] = useState('');
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        onConfirm(typedPassword(password));
        setPassword('');
      }}
    >
      <PasswordProof label={label} value={password} onChange={setPassword} />
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

type TotpStage =
  | { kind: 'idle' }
  | { kind: 'password'; purpose: 'enrol' | 'disable' | 'codes' }
  | { kind: 'scan'; enrolment: auth.TotpEnrolment }
  | { kind: 'codes'; codes: string[] };

function TotpSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const me = useResource(cacheKey(account.id, '/auth/me'), () => auth.getMe(account.id));
  const [stage, setStage] = useState<TotpStage>({ kind: 'idle' });
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const codeId = useId();
  const enabled = me.data?.account.totpEnabled ?? false;

  const withPassword = (purpose: 'enrol' | 'disable' | 'codes', password: string | undefined) => {
    run(async () => {
      if (purpose === 'enrol') {
        setStage({ kind: 'scan', enrolment: await auth.enrolTotp(account.id, password) });
      } else if (purpose === 'disable') {
        await auth.disableTotp(account.id, password);
        setStage({ kind: 'idle' });
        me.reload();
      } else {
        setStage({
          kind: 'codes',
          codes: (await auth.newRecoveryCodes(account.id, password)).recoveryCodes,
        });
        me.reload();
      }
    });
  };

  const confirm = (event: SubmitEvent) => {
    event.preventDefault();
    run(async () => {
      const result = await auth.confirmTotp(account.id, code.replace(/\s/g, ''));
      setCode('');
      setStage({ kind: 'codes', codes: result.recoveryCodes });
      me.reload();
    });
  };

  let body;
  if (stage.kind === 'codes') {
    body = (
      <RecoveryCodes
        codes={stage.codes}
        onDone={() => {
          setStage({ kind: 'idle' });
        }}
      />
    );
  } else if (stage.kind === 'scan') {
    const groupedSecret = stage.enrolment.secret.match(/.{1,4}/g)?.join(' ') ?? '';
    body = (
      <form className="stack" onSubmit={confirm}>
        <ol className="steps">
          <li>{t('security.totp.scan')}</li>
          <li>{t('security.totp.enterCode')}</li>
        </ol>
        <QrCode text={stage.enrolment.otpauthUri} label={t('security.totp.qrLabel')} />
        <p>
          {t('security.totp.manual')}{' '}
          <code className="secret" translate="no">
            {groupedSecret}
          </code>
        </p>
        <div className="field">
          <label htmlFor={codeId}>{t('security.totp.code')}</label>
          <input
            id={codeId}
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            maxLength={8}
            className="short-input"
            value={code}
            onChange={(event) => {
              setCode(event.target.value);
            }}
          />
        </div>
        <div>
          <button type="submit" className="button button-primary" disabled={busy}>
            {t('security.totp.confirm')}
          </button>
        </div>
      </form>
    );
  } else if (stage.kind === 'password') {
    const submitLabel = {
      enrol: t('security.totp.setUp'),
      disable: t('security.totp.disable'),
      codes: t('security.totp.newCodes'),
    }[stage.purpose];
    body = (
      <PasswordConfirm
        label={t('security.totp.confirmPassword')}
        submitLabel={submitLabel}
        busy={busy}
        onConfirm={(password) => {
          withPassword(stage.purpose, password);
        }}
      />
    );
  } else {
    body = (
      <>
        <p>{enabled ? t('security.totp.on') : t('security.totp.off')}</p>
        {enabled && me.data?.account.recoveryCodesRemaining !== undefined ? (
          <p className="hint">
            {t('security.totp.codesLeft', { count: me.data.account.recoveryCodesRemaining })}
          </p>
        ) : null}
        <div className="button-row">
          {enabled ? (
            <>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setStage({ kind: 'password', purpose: 'codes' });
                }}
              >
                {t('security.totp.newCodes')}
              </button>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setStage({ kind: 'password', purpose: 'disable' });
                }}
              >
                {t('security.totp.disable')}
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button button-primary"
              disabled={!me.data}
              onClick={() => {
                setStage({ kind: 'password', purpose: 'enrol' });
              }}
            >
              {t('security.totp.setUp')}
            </button>
          )}
        </div>
      </>
    );
  }

  return (
    <section className="card stack" aria-labelledby="totp-heading">
      <h2 id="totp-heading">{t('security.totp.title')}</h2>
      {body}
      <ErrorMessage error={me.error ?? error} />
    </section>
  );
}

function SessionsSection() {
  const { t, i18n } = useTranslation();
  const account = useActiveAccount();
  // The server words each device in the app's language, so another language is another answer.
  const sessions = useResource(
    cacheKey(account.id, `/auth/sessions?language=${i18n.language}`),
    () => auth.listSessions(account.id),
  );
  const { error, run } = useAction();
  const revoke = (id: string | null) => {
    run(async () => {
      if (id) await auth.revokeSession(account.id, id);
      else {
        await auth.revokeOtherSessions(account.id);
        invalidate(account.id, '/auth/tokens');
      }
      sessions.reload();
    });
  };
  const others = sessions.data?.sessions.filter((session) => !session.current) ?? [];
  return (
    <section className="card stack" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">{t('security.sessions.title')}</h2>
      <ErrorMessage error={sessions.error ?? error} />
      <ul className="plain-list sessions">
        {sessions.data?.sessions.map((session) => (
          <li key={session.id} className="session-row">
            <div>
              <p className="session-device">{session.device || t('security.sessions.unknown')}</p>
              <p className="hint">
                {t('security.sessions.lastUsed', { date: formatDateTime(session.lastUsedAt) })}
                {session.ipAddress ? ` · ${session.ipAddress}` : ''}
              </p>
            </div>
            {session.current ? (
              <span className="badge badge-ok">{t('security.sessions.current')}</span>
            ) : (
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  revoke(session.id);
                }}
              >
                {t('security.sessions.signOut')}
                <span className="visually-hidden"> {session.device}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      {others.length > 1 ? (
        <div>
          <button
            type="button"
            className="button"
            onClick={() => {
              revoke(null);
            }}
          >
            {t('security.sessions.signOutOthers')}
          </button>
          <p className="hint">{t('security.sessions.signOutOthersDevices')}</p>
        </div>
      ) : null}
    </section>
  );
}

function ExportSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const [format, setFormat] = useState<'json' | 'csv'>('json');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    run(async () => {
      const secret = password.trim();
      const proof = /^\d{6,8}$/.test(secret) ? { totpCode: secret } : { password };
      saveFile(await exportKeys(account.id, { format, ...proof }));
      setPassword('');
    });
  };

  return (
    <section className="card stack" aria-labelledby="export-heading">
      <h2 id="export-heading">{t('security.export.title')}</h2>
      <p>{t('security.export.intro')}</p>
      <form className="stack" onSubmit={submit}>
        <fieldset>
          <legend>{t('security.export.format')}</legend>
          {(['json', 'csv'] as const).map((value) => (
            <label key={value} className="check">
              <input
                type="radio"
                name="export-format"
                value={value}
                checked={format === value}
                onChange={() => {
                  setFormat(value);
                }}
              />
              {value.toUpperCase()}
            </label>
          ))}
        </fieldset>
        <PasswordField label={t('security.export.proof')} value={password} onChange={setPassword} />
        <ErrorMessage error={error} />
        <div>
          <button type="submit" className="button" disabled={busy}>
            {t('security.export.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}

export function SecurityPage() {
  const { t } = useTranslation();
  return (
    <Page
      title={t('security.title')}
      actions={<Link to="/activity">{t('security.activityLink')}</Link>}
    >
      <div className="detail-grid">
        <PasswordSection />
        <TotpSection />
        <PasskeysSection />
        <SessionsSection />
        <DeviceTokensSection />
        <ExportSection />
      </div>
    </Page>
  );
}
