/**
 * The one way the app talks to the server (docs/api.md). Every request names the account it acts
 * as (a browser may be signed in to several) and every change carries the browser's CSRF token;
 * errors arrive as ApiError with the server's stable code and its message.
 */
import type { AccountList } from '../../../src/api/auth.js';
import type { ErrorBody } from '../../../src/api/errors.js';
import { currentLanguage } from '../i18n.js';

const accountHeader = 'x-keyhold-account';
const csrfHeader = 'x-keyhold-csrf';

let csrfToken: string | null = null;

/** Kept from the answers that carry it (account list, sign-up, sign-in). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type AccountLostListener = (accountId: string) => void;
const accountLostListeners = new Set<AccountLostListener>();

/** Called when the server says an account is no longer signed in here (expired or revoked). */
export function onAccountLost(listener: AccountLostListener): () => void {
  accountLostListeners.add(listener);
  return () => accountLostListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** From Retry-After on a 429, so the wait can be told in the reader's language. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** The account id to act as; omitted for requests that are not about one account. */
  account?: string | undefined;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

/** The token belongs to the browser; after a refusal a fresh copy comes from the account list. */
async function refreshCsrfToken(): Promise<void> {
  const response = await fetch('/api/v1/auth/accounts', {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
  });
  if (response.ok) {
    const body = (await response.json()) as Partial<AccountList>;
    setCsrfToken(body.csrfToken ?? null);
  }
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

async function send(path: string, options: RequestOptions, retried = false): Promise<Response> {
  const method = options.method ?? 'GET';
  // The interface language, so the server can word its messages in it where it is able to.
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-language': currentLanguage(),
  };
  if (options.account) headers[accountHeader] = options.account;
  if (method !== 'GET' && csrfToken) headers[csrfHeader] = csrfToken;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'network');
  }
  if (response.ok) return response;
  const error = await toApiError(response);
  if (error.code === 'csrf_failed' && !retried) {
    await refreshCsrfToken();
    return send(path, options, true);
  }
  if (error.code === 'unauthenticated' && options.account) {
    for (const listener of accountLostListeners) listener(options.account);
  }
  throw error;
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  try {
    // A proxy in front of the server may answer JSON of its own, so no field is taken for granted.
    const body = (await response.json()) as { error?: Partial<ErrorBody['error']> } | null;
    if (body?.error?.code) {
      return new ApiError(
        response.status,
        body.error.code,
        body.error.message ?? response.statusText,
        body.error.details,
        retryAfterSeconds,
      );
    }
  } catch {
    // Not JSON (a proxy's error page, say): the status alone has to do.
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText);
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export interface DownloadedFile {
  blob: Blob;
  filename: string;
}

/** Fetches a file the server sends as an attachment, keeping the name it suggests. */
export async function download(
  path: string,
  fallbackName: string,
  options: RequestOptions = {},
): Promise<DownloadedFile> {
  const response = await send(path, options);
  const disposition = response.headers.get('content-disposition') ?? '';
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  const plain = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  const filename = encoded ? decodeURIComponent(encoded) : (plain ?? fallbackName);
  return { blob: await response.blob(), filename };
}

/** Hands a fetched file to the browser's download manager. */
export function saveFile({ blob, filename }: DownloadedFile): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}
