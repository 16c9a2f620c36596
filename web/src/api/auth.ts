import type { AuditPage } from '../../../src/api/audit.js';
import type {
  Account,
  AccountList,
  Identified,
  Me,
  PasswordChange,
  PasswordChanged,
  RevokedSessions,
  SecondFactorAnswer,
  Session,
  ConfirmationSent,
  SignedIn,
  SignInRequest,
  SignInResult,
  SignUpRequest,
  TotpConfirmed,
  TotpEnrolment,
} from '../../../src/api/auth.js';
import type { SsoSignedIn } from '../../../src/api/sso.js';
import { request, setCsrfToken } from './client.js';

/** Accounts and sign-in, as docs/api.md describes them; the shapes are the server's (src/api). */
export type { AuditEvent } from '../../../src/api/audit.js';
export type {
  Account,
  BrowserAccount,
  SignInResult,
  TotpEnrolment,
} from '../../../src/api/auth.js';

/** Every answer that carries the browser's CSRF token updates the one the client sends. */
function keepToken<T extends object>(answer: T): T {
  if ('csrfToken' in answer && typeof answer.csrfToken === 'string') {
    setCsrfToken(answer.csrfToken);
  }
  return answer;
}

export const listAccounts = async () => keepToken(await request<AccountList>('/auth/accounts'));

export const identify = (email: string, next?: string | null) =>
  request<Identified>('/auth/identify', {
    method: 'POST',
    body: next ? { email, next } : { email },
  });

/** Hands the organisation provider's answer (the page's query string) to the server. */
export const finishSsoSignIn = async (parameters: string) =>
  keepToken(
    await request<SsoSignedIn>('/auth/sso/callback', { method: 'POST', body: { parameters } }),
  );

export const signIn = async (body: SignInRequest) =>
  keepToken(await request<SignInResult>('/auth/signin', { method: 'POST', body }));

export const signInSecondFactor = async (body: SecondFactorAnswer) =>
  keepToken(await request<SignedIn>('/auth/signin/second-factor', { method: 'POST', body }));

/** Signed in at once, or (when the server sends mail) a link to confirm the address is on its way. */
export const signUp = async (body: SignUpRequest) =>
  keepToken(
    await request<SignedIn | ConfirmationSent>('/auth/signup', {
      method: 'POST',
      body,
    }),
  );

/** Opens a confirmation link: the token is the part of the link after `#token=`. */
export const confirmEmail = (token: string) =>
  request<{ status: 'confirmed'; email: string }>('/auth/confirm-email', {
    method: 'POST',
    body: { token },
  });

export const signOut = (account: string) =>
  request<AccountList>('/auth/signout', {
    method: 'POST',
    account,
    body: {},
  });

export const forgetAccount = (accountId: string) =>
  request<AccountList>(`/auth/accounts/${encodeURIComponent(accountId)}`, {
    method: 'DELETE',
  });

export const getMe = (account: string) => request<Me>('/auth/me', { account });

export const listSessions = (account: string) =>
  request<{ sessions: Session[] }>('/auth/sessions', { account });

export const revokeSession = (account: string, id: string) =>
  request<unknown>(`/auth/sessions/${encodeURIComponent(id)}`, { account, method: 'DELETE' });

export const revokeOtherSessions = (account: string) =>
  request<RevokedSessions>('/auth/sessions', {
    account,
    method: 'DELETE',
  });

export const changePassword = (account: string, body: PasswordChange) =>
  request<PasswordChanged>('/auth/password', { account, method: 'POST', body });

export const enrolTotp = (account: string, password: string | undefined) =>
  request<TotpEnrolment>('/auth/totp/enrol', { account, method: 'POST', body: { password } });

export const confirmTotp = (account: string, totp: string) =>
  request<TotpConfirmed>('/auth/totp/confirm', {
    account,
    method: 'POST',
    body: { totp },
  });

export const disableTotp = (account: string, password: string | undefined) =>
  request<{ account: Account }>('/auth/totp/disable', {
    account,
    method: 'POST',
    body: { password },
  });

export const newRecoveryCodes = (account: string, password: string | undefined) =>
  request<{ recoveryCodes: string[] }>('/auth/recovery-codes', {
    account,
    method: 'POST',
    body: { password },
  });

export const listAudit = (account: string, before?: string | null) =>
  request<AuditPage>('/audit', {
    account,
    query: { limit: 50, before: before ?? undefined },
  });
