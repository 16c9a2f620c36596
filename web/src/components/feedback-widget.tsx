import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { redactRecoveryPasswords } from '../../../src/bitlocker/recovery-password.js';
import { sendFeedback } from '../api/keys.js';
import { currentLanguage } from '../i18n.js';
import { ErrorMessage } from './error-message.js';

const positiveReasons = ['clear', 'accurate', 'easy-language', 'solved-problem'] as const;
const negativeReasons = [
  'hard-to-understand',
  'incorrect',
  'missing-steps',
  'translation',
  'not-my-problem',
] as const;
const qualities = [1, 2, 3, 4, 5] as const;

type Stage = 'ask' | 'details' | 'sending' | 'thanks';

/** "Was this helpful?" at the end of every help article; answers go to the server's admins. */
export function FeedbackWidget({ article }: { article: string }) {
  const { t } = useTranslation();
  const [stage, setStage] = useState<Stage>('ask');
  const [helpful, setHelpful] = useState<boolean | null>(null);
  const [quality, setQuality] = useState<number | null>(null);
  const [reasons, setReasons] = useState<string[]>([]);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const commentId = useId();
  const headingId = useId();
  const commentHintId = useId();
  // The server removes keys too; warning while typing tells the person before anything is sent.
  const commentHoldsKey = redactRecoveryPasswords(comment).redacted > 0;

  const answer = (value: boolean) => {
    setHelpful(value);
    setReasons([]);
    setStage('details');
  };

  const toggleReason = (reason: string, checked: boolean) => {
    setReasons((current) =>
      checked ? [...current, reason] : current.filter((chosen) => chosen !== reason),
    );
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (helpful === null) return;
    setStage('sending');
    setError(undefined);
    try {
      await sendFeedback({
        article,
        helpful,
        language: currentLanguage(),
        ...(quality !== null ? { languageQuality: quality } : {}),
        ...(reasons.length > 0 ? { reasons } : {}),
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      setStage('thanks');
    } catch (caught) {
      setError(caught);
      setStage('details');
    }
  };

  if (stage === 'thanks') {
    return (
      <section className="feedback" aria-labelledby={headingId}>
        <h2 id={headingId} className="feedback-title">
          {t('feedback.thanksTitle')}
        </h2>
        <p role="status">{t('feedback.thanks')}</p>
      </section>
    );
  }

  const reasonChoices = helpful === false ? negativeReasons : positiveReasons;
  return (
    <section className="feedback" aria-labelledby={headingId}>
      <h2 id={headingId} className="feedback-title">
        {t('feedback.question')}
      </h2>
      <div className="feedback-answer" role="group" aria-labelledby={headingId}>
        <button
          type="button"
          className="button"
          aria-pressed={helpful === true}
          onClick={() => {
            answer(true);
          }}
        >
          {t('feedback.yes')}
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={helpful === false}
          onClick={() => {
            answer(false);
          }}
        >
          {t('feedback.no')}
        </button>
      </div>
      {stage !== 'ask' ? (
        <form className="feedback-details stack" onSubmit={(event) => void submit(event)}>
          <fieldset className="rating">
            <legend>{t('feedback.qualityQuestion')}</legend>
            <div className="rating-body">
              <div className="rating-scale">
                {qualities.map((value) => (
                  <label key={value} className="rating-option">
                    <input
                      type="radio"
                      name="languageQuality"
                      value={value}
                      checked={quality === value}
                      onChange={() => {
                        setQuality(value);
                      }}
                    />
                    <span>{value}</span>
                    <span className="visually-hidden">{t(`feedback.quality.${value}`)}</span>
                  </label>
                ))}
              </div>
              <p className="hint rating-ends" aria-hidden="true">
                <span>{t('feedback.quality.1')}</span>
                <span>{t('feedback.quality.5')}</span>
              </p>
            </div>
          </fieldset>
          <fieldset>
            <legend>{t('feedback.reasonsQuestion')}</legend>
            {reasonChoices.map((reason) => (
              <label key={reason} className="check">
                <input
                  type="checkbox"
                  checked={reasons.includes(reason)}
                  onChange={(event) => {
                    toggleReason(reason, event.target.checked);
                  }}
                />
                {t(`feedback.reasons.${reason}`)}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={commentId}>{t('feedback.comment')}</label>
            <textarea
              id={commentId}
              rows={3}
              maxLength={2000}
              value={comment}
              aria-describedby={commentHintId}
              aria-invalid={commentHoldsKey}
              onChange={(event) => {
                setComment(event.target.value);
              }}
            />
            {commentHoldsKey ? (
              <p id={commentHintId} className="hint hint-error" role="alert">
                {t('feedback.commentHoldsKey')}
              </p>
            ) : (
              <p id={commentHintId} className="hint">
                {t('feedback.commentHint')}
              </p>
            )}
          </div>
          <ErrorMessage error={error} />
          <div>
            <button type="submit" className="button button-primary" disabled={stage === 'sending'}>
              {t('feedback.submit')}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
