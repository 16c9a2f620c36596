import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { decideDevice, lookUpDevice, type DeviceRequest } from '../api/devices.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatDateTime } from '../format.js';
import { Link, useLocation } from '../router.js';
import { useActiveAccount } from '../state/session.js';

type Step =
  | { kind: 'enter' }
  | { kind: 'confirm'; request: DeviceRequest }
  | { kind: 'done'; approved: boolean; request: DeviceRequest };

/**
 * "Connect a device": where a person approves `keyhold login` (RFC 8628). The code comes typed
 * or in the link the terminal showed; what would be connected is shown before anything is
 * approved, so a code from someone else's terminal is easy to spot and deny. The device name is
 * the requester's own words, so it is shown only as quoted data, never as the page's heading;
 * and a code that arrived in a link (anyone can send one) is approved only once the person has
 * said it matches their terminal.
 */
export function ConnectDevicePage() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const { query } = useLocation();
  const [code, setCode] = useState(query.get('code') ?? '');
  const [fromLink, setFromLink] = useState(code !== '');
  const [matchConfirmed, setMatchConfirmed] = useState(false);
  const matchId = useId();
  const [step, setStep] = useState<Step>({ kind: 'enter' });
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const codeId = useId();
  const hintId = useId();

  const quoted = (value: string) => t('connectDevice.quoted', { value });

  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .catch((caught: unknown) => {
        if (caught instanceof ApiError && caught.code === 'not_found') {
          setStep({ kind: 'enter' });
          setError(new ApiError(404, 'device_code', t('connectDevice.unknownCode')));
        } else {
          setError(caught);
        }
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const lookUp = (event: SubmitEvent) => {
    event.preventDefault();
    run(async () => {
      const { request } = await lookUpDevice(account.id, code);
      setStep({ kind: 'confirm', request });
    });
  };

  const decide = (request: DeviceRequest, approve: boolean) => {
    run(async () => {
      await decideDevice(account.id, request.userCode, approve);
      setStep({ kind: 'done', approved: approve, request });
    });
  };

  return (
    <Page
      title={t('connectDevice.title')}
      intro={<p>{t('connectDevice.intro', { email: account.email })}</p>}
      narrow
    >
      {step.kind === 'enter' ? (
        <form className="card stack" onSubmit={lookUp}>
          <div className="field">
            <label htmlFor={codeId}>{t('connectDevice.codeLabel')}</label>
            <input
              id={codeId}
              className="big-input"
              value={code}
              maxLength={20}
              autoComplete="one-time-code"
              autoCapitalize="characters"
              spellCheck={false}
              aria-describedby={hintId}
              required
              onChange={(event) => {
                setCode(event.target.value);
                setFromLink(false);
              }}
            />
            <p className="hint" id={hintId}>
              {t('connectDevice.codeHint')}
            </p>
          </div>
          <ErrorMessage error={error} />
          <div>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('connectDevice.continue')}
            </button>
          </div>
        </form>
      ) : null}

      {step.kind === 'confirm' ? (
        <section className="card stack" aria-labelledby="device-request-heading">
          <h2 id="device-request-heading">{t('connectDevice.confirmTitle')}</h2>
          <dl className="facts">
            {[
              [t('connectDevice.program'), step.request.clientName],
              [t('connectDevice.device'), quoted(step.request.deviceName)],
              [t('connectDevice.requested'), formatDateTime(step.request.requestedAt)],
              [
                t('connectDevice.address'),
                step.request.ipAddress ?? t('connectDevice.unknownAddress'),
              ],
              [t('connectDevice.code'), step.request.userCode],
            ].map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd translate="no">{value}</dd>
              </div>
            ))}
          </dl>
          <p className="callout callout-warning">{t('connectDevice.warning')}</p>
          <p>{t('connectDevice.scope')}</p>
          {fromLink ? (
            <label className="check" htmlFor={matchId}>
              <input
                id={matchId}
                type="checkbox"
                checked={matchConfirmed}
                onChange={(event) => {
                  setMatchConfirmed(event.target.checked);
                }}
              />
              {t('connectDevice.matchesTerminal', { code: step.request.userCode })}
            </label>
          ) : null}
          <ErrorMessage error={error} />
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              disabled={busy || (fromLink && !matchConfirmed)}
              onClick={() => {
                decide(step.request, true);
              }}
            >
              {t('connectDevice.approve')}
            </button>
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => {
                decide(step.request, false);
              }}
            >
              {t('connectDevice.deny')}
            </button>
          </div>
        </section>
      ) : null}

      {step.kind === 'done' ? (
        <div className="stack">
          <p className={step.approved ? 'alert alert-ok' : 'alert alert-warning'} role="status">
            {step.approved
              ? t('connectDevice.approved', { device: quoted(step.request.deviceName) })
              : t('connectDevice.denied', { device: quoted(step.request.deviceName) })}
          </p>
          <p>
            <Link to="/security">{t('connectDevice.manage')}</Link>
          </p>
        </div>
      ) : null}
    </Page>
  );
}
