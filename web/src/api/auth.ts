import { request, setCsrfToken } from './client.js';

/** Accounts and sign-in, as docs/api.md describes them. */
export interface Account {
  id: string;
  email: string;
  displayName: string;
  createdAt?: string;
  totpEnabled?: boolean;
  recoveryCodesRemaining?: number;
}

/** An entry of the account picker: signed in now, or remembered by the server as signed out. */
export interface BrowserAccount {
  id: string;
  email: string;
  displayName: string;
  signedIn: boolean;
  isDefault: boolean;
}

export interface Identified {
  email: string;
  displayName: string;
  methods: string[];
}

export type SignInResult =
  | { status: 'signed_in'; account: Account; csrfToken: string }
  | {
      status: 'second_factor_required';
      challenge: string;
      methods: string[];
      expiresAt: string;
    };

export interface Session {
  id: string;
  device: string;
  ipAddress: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actorAccountId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

/** Every answer that carries the browser's CSRF token updates the one the client sends. */
function keepToken<T extends object>(answer: T): T {
  if ('csrfToken' in answer && typeof answer.csrfToken === 'string') {
    setCsrfToken(answer.csrfToken);
  }
  return answer;
}

export const listAccounts = async () =>
  keepToken(
    await request<{ accounts: BrowserAccount[]; csrfToken: string | null }>('/auth/accounts'),
  );

export const identify = (email: string) =>
  request<Identified>('/auth/identify', { method: 'POST', body: { email } });

export const signIn = async (body: { email: string; password: string }) =>
  keepToken(await request<SignInResult>('/auth/signin', { method: 'POST', body }));

export const signInSecondFactor = async (
  body: { challenge: string; totp: string } | { challenge: string; recoveryCode: string },
) =>
  keepToken(
    await request<{ status: 'signed_in'; account: Account; csrfToken: string }>(
      '/auth/signin/second-factor',
      { method: 'POST', body },
    ),
  );

export const signUp = async (body: { email: string; displayName: string; password: string }) =>
  keepToken(
    await request<{ account: Account; csrfToken: string }>('/auth/signup', {
      method: 'POST',
      body,
    }),
  );

export const signOut = (account: string) =>
  request<{ accounts: BrowserAccount[] }>('/auth/signout', {
    method: 'POST',
    account,
    body: {},
  });

export const forgetAccount = (accountId: string) =>
  request<{ accounts: BrowserAccount[] }>(`/auth/accounts/${encodeURIComponent(accountId)}`, {
    method: 'DELETE',
  });

export const getMe = (account: string) => request<{ account: Account }>('/auth/me', { account });

export const listSessions = (account: string) =>
  request<{ sessions: Session[] }>('/auth/sessions', { account });

export const revokeSession = (account: string, id: string) =>
  request<unknown>(`/auth/sessions/${encodeURIComponent(id)}`, { account, method: 'DELETE' });

export const revokeOtherSessions = (account: string) =>
  request<{ revoked: number; tokensRevoked: number }>('/auth/sessions', {
    account,
    method: 'DELETE',
  });

export const changePassword = (
  account: string,
  body: { currentPassword: string; newPassword: string },
) => request<{ revokedSessions: number }>('/auth/password', { account, method: 'POST', body });

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
}

export const enrolTotp = (account: string, password: string) =>
  request<TotpEnrolment>('/auth/totp/enrol', { account, method: 'POST', body: { password } });

export const confirmTotp = (account: string, totp: string) =>
  request<{ account: Account; recoveryCodes: string[] }>('/auth/totp/confirm', {
    account,
    method: 'POST',
    body: { totp },
  });

export const disableTotp = (account: string, password: string) =>
  request<{ account: Account }>('/auth/totp/disable', {
    account,
    method: 'POST',
    body: { password },
  });

export const newRecoveryCodes = (account: string, password: string) =>
  request<{ recoveryCodes: string[] }>('/auth/recovery-codes', {
    account,
    method: 'POST',
    body: { password },
  });

export const listAudit = (account: string, before?: string | null) =>
  request<{ events: AuditEvent[]; nextCursor: string | null }>('/audit', {
    account,
    query: { limit: 50, before: before ?? undefined },
  });
