import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';

const translatedCodes = new Set([
  'network',
  'unauthenticated',
  'forbidden',
  'not_found',
  'vault_locked',
  'internal',
  'host_not_allowed',
]);

/**
 * Errors in the reader's language where the code is known; otherwise the server's own message,
 * which is written for people and never contains secrets.
 */
function useErrorText(): (error: unknown) => string {
  const { t } = useTranslation();
  return (error) => {
    if (error instanceof ApiError) {
      if (error.code === 'rate_limited') {
        const minutes = Math.max(1, Math.ceil((error.retryAfterSeconds ?? 60) / 60));
        return t('errors.rate_limited', { count: minutes });
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
  return (
    <p className="alert alert-error" role="alert">
      {errorText(error)}
    </p>
  );
}
