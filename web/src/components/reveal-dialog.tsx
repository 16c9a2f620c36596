import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import type { KeySummary } from '../api/keys.js';
import type { OrganisationRevealWithApproval } from '../../../src/api/approvals.js';
import {
  revealOrganisationKey,
  revealReasons,
  type RevealAnswer,
  type RevealReason,
} from '../api/orgs.js';
import { formatCountdown } from '../format.js';
import { Link, useLocation } from '../router.js';
import { revealSeconds, useCountdown } from '../state/countdown.js';
import { useActiveAccount } from '../state/session.js';
import { DriveLabel } from './drive.js';
import { ErrorMessage } from './error-message.js';
import { KeyId } from './key-id.js';
import { organisationPath } from './organisation-page.js';
import { RecoveryKeyBlocks } from './recovery-key-blocks.js';

/** What the dialog was opened with: after a fresh sign-in it comes back filled in. */
export type RevealRequest = { key: KeySummary } & Partial<OrganisationRevealWithApproval>;

/** The query that reopens the dialog for a key after signing in again (no secret in it). */
export function reopenQuery(keyId: string, reason: RevealReason | '', ticket: string): string {
  const query = new URLSearchParams({ reveal: keyId });
  if (reason) query.set('reason', reason);
  if (ticket) query.set('ticket', ticket);
  return query.toString();
}

export function reasonFromQuery(value: string | null): RevealReason | undefined {
  return revealReasons.find((reason) => reason === value);
}

/**
 * Revealing an organisation's key: the reason from the fixed list (and words of one's own for
 * "other"), an optional ticket, then the key, or word that it waits for approval. A modal
 * <dialog>, so the browser keeps the focus inside it and Escape closes it.
 */
export function RevealDialog({
  orgId,
  request,
  onClose,
  onRevealed,
}: {
  orgId: string;
  request: RevealRequest;
  onClose: () => void;
  onRevealed: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const { pathname, query } = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const reasonTextId = useId();
  const ticketId = useId();
  const { key } = request;
  const [reason, setReason] = useState<RevealReason | ''>(request.reason ?? '');
  const [reasonText, setReasonText] = useState(request.reasonText ?? '');
  const [ticket, setTicket] = useState(request.ticket ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [answer, setAnswer] = useState<RevealAnswer | null>(null);
  const [hideAt, setHideAt] = useState<number | null>(null);
  const [copied, setCopied] = useState(false);
  const secondsLeft = useCountdown(hideAt);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => {
      element?.close();
    };
  }, []);

  // The key leaves the screen after a minute, as on a person's own key page.
  useEffect(() => {
    if (hideAt !== null && secondsLeft === 0) onClose();
  }, [hideAt, secondsLeft]);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (!reason) return;
    setBusy(true);
    setError(undefined);
    revealOrganisationKey(account.id, orgId, key.id, {
      reason,
      ...(reason === 'other' ? { reasonText: reasonText.trim() } : {}),
      ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
      ...(request.approvalId ? { approvalId: request.approvalId } : {}),
    })
      .then((revealed) => {
        setAnswer(revealed);
        if (revealed.kind === 'revealed') setHideAt(Date.now() + revealSeconds * 1000);
        onRevealed();
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const copy = () => {
    if (answer?.kind !== 'revealed') return;
    navigator.clipboard.writeText(answer.recoveryPassword).then(
      () => {
        setCopied(true);
      },
      (caught: unknown) => {
        setError(caught);
      },
    );
  };

  const stepUp = error instanceof ApiError && error.code === 'step_up_required';
  // Back here after signing in, with the reason and ticket already chosen.
  const returnQuery = new URLSearchParams(query);
  for (const [name, value] of new URLSearchParams(reopenQuery(key.id, reason, ticket))) {
    returnQuery.set(name, value);
  }
  const signInAgain = `/sign-in?${new URLSearchParams({
    email: account.email,
    next: `${pathname}?${returnQuery.toString()}`,
  }).toString()}`;

  return (
    <dialog
      ref={dialog}
      className="reveal-dialog"
      aria-labelledby={headingId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="stack">
        <h2 id={headingId}>{t('orgs.reveal.title')}</h2>
        <p>
          <KeyId protectorId={key.protectorId} luks={key.luks} className="key-id-large" />
        </p>
        <p>
          {key.deviceName} · <DriveLabel volume={key.volume} />
        </p>
        {answer?.kind === 'revealed' ? (
          <>
            <RecoveryKeyBlocks recoveryPassword={answer.recoveryPassword} />
            {key.kind === 'luks' ? <p className="hint">{t('orgs.reveal.luksHint')}</p> : null}
            <p className="hint" role="timer" aria-live="off">
              {t('detail.reveal.hidesIn', {
                time: formatCountdown(Math.min(secondsLeft, revealSeconds)),
              })}
            </p>
            <p className="hint">{t('orgs.reveal.recorded')}</p>
            <p className="alert alert-warning">{t('orgs.reveal.rotate')}</p>
            <div className="button-row">
              <button type="button" className="button button-primary" onClick={copy}>
                {copied ? t('detail.reveal.copied') : t('detail.reveal.copy')}
              </button>
              <button type="button" className="button" onClick={onClose}>
                {t('orgs.reveal.close')}
              </button>
            </div>
            <p className="visually-hidden" role="status">
              {copied ? t('detail.reveal.copied') : ''}
            </p>
          </>
        ) : answer?.kind === 'waiting' ? (
          <>
            <p className="alert alert-ok" role="status">
              {t('orgs.reveal.waiting')}
            </p>
            <div className="button-row">
              <Link to={organisationPath(orgId, 'approvals')} className="button">
                {t('orgs.reveal.toApprovals')}
              </Link>
              <button type="button" className="button" onClick={onClose}>
                {t('orgs.reveal.close')}
              </button>
            </div>
          </>
        ) : (
          <form className="stack" onSubmit={submit}>
            <fieldset>
              <legend>{t('orgs.reveal.reasonLegend')}</legend>
              {revealReasons.map((value) => (
                <label key={value} className="check">
                  <input
                    type="radio"
                    name="reason"
                    value={value}
                    required
                    checked={reason === value}
                    onChange={() => {
                      setReason(value);
                    }}
                  />
                  {t(`orgs.reasons.${value}`)}
                </label>
              ))}
            </fieldset>
            {reason === 'other' ? (
              <div className="field">
                <label htmlFor={reasonTextId}>{t('orgs.reveal.reasonText')}</label>
                <input
                  id={reasonTextId}
                  required
                  maxLength={500}
                  value={reasonText}
                  onChange={(event) => {
                    setReasonText(event.target.value);
                  }}
                />
              </div>
            ) : null}
            <div className="field">
              <label htmlFor={ticketId}>{t('orgs.reveal.ticket')}</label>
              <input
                id={ticketId}
                maxLength={200}
                autoComplete="off"
                value={ticket}
                onChange={(event) => {
                  setTicket(event.target.value);
                }}
              />
              <p className="hint">{t('orgs.reveal.ticketHint')}</p>
            </div>
            {stepUp ? (
              <p className="alert alert-warning" role="alert">
                {t('orgs.reveal.stepUp')}{' '}
                <Link to={signInAgain}>{t('orgs.reveal.signInAgain')}</Link>
              </p>
            ) : (
              <ErrorMessage error={error} />
            )}
            <div className="form-actions">
              <button type="button" className="button" onClick={onClose}>
                {t('common.cancel')}
              </button>
              <button type="submit" className="button button-primary" disabled={busy || !reason}>
                {t('orgs.reveal.submit')}
              </button>
            </div>
          </form>
        )}
      </div>
    </dialog>
  );
}
