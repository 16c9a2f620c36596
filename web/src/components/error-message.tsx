import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { Link } from '../router.js';

const translatedCodes = new Set([
  'network',
  'unauthenticated',
  'forbidden',
  'not_found',
  'vault_locked',
  'invalid_characters',
  'internal',
  'host_not_allowed',
]);

/** The wait an error names in its details (an import refusal), else a minute. */
function waitOf(error: ApiError): number {
  const details = error.details as { retryAfterSeconds?: unknown } | undefined;
  return typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : 60;
}

/** The lengths the server asks of a password (docs/api.md), for the reasons that name them. */
const passwordLengthLimits: Partial<Record<string, number>> = { too_short: 10, too_long: 256 };

/** The codes of a refused password's reasons (`details.codes`), if the server sent them. */
function weakPasswordCodes(details: unknown): string[] {
  const codes = (details as { codes?: unknown } | undefined)?.codes;
  return Array.isArray(codes)
    ? codes.filter((code): code is string => typeof code === 'string')
    : [];
}

/**
 * Errors in the reader's language where the code is known; otherwise the server's own message,
 * which is written for people and never contains secrets.
 */
function useErrorText(): (error: unknown) => string {
  const { t } = useTranslation();
  return (error) => {
    if (error instanceof ApiError) {
      if (error.code === 'rate_limited' || error.code === 'import_limited') {
        const minutes = Math.max(1, Math.ceil((error.retryAfterSeconds ?? waitOf(error)) / 60));
        return t(`errors.${error.code}`, { count: minutes });
      }
      const weaknesses = error.code === 'weak_password' ? weakPasswordCodes(error.details) : [];
      if (weaknesses.length > 0) {
        const reasons = weaknesses.map((code) =>
          t(`errors.weakPassword.${code}`, { count: passwordLengthLimits[code] }),
        );
        return t('errors.weak_password', { reasons: reasons.join('; ') });
      }
      if (translatedCodes.has(error.code)) return t(`errors.${error.code}`);
      if (error.message && !error.code.startsWith('http_')) return error.message;
      return t('errors.unexpected', { status: error.status });
    }
    return t('errors.unexpected', { status: 0 });
  };
}

export function ErrorMessage({ error }: { error: unknown }) {
  const errorText = useErrorText();
  if (error === undefined || error === null) return null;
  // An organisation that asks for a second factor: the way to enrol one is one step away.
  const toSecurity = error instanceof ApiError && error.code === 'second_factor_required';
  return (
    <p className="alert alert-error" role="alert">
      {errorText(error)}
      {toSecurity ? (
        <>
          {' '}
          <SecurityLink />
        </>
      ) : null}
    </p>
  );
}

function SecurityLink() {
  const { t } = useTranslation();
  return <Link to="/security">{t('errors.goToSecurity')}</Link>;
}
