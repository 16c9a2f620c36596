import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { request, setCsrfToken } from './client.js';
import type { PasskeyList, PasskeyView, SignedIn } from '../../../src/api/auth.js';

/** Passkeys (WebAuthn), as docs/api.md describes them. */
export type Passkey = PasskeyView;

export const listPasskeys = (account: string) =>
  request<PasskeyList>('/auth/passkeys', { account });

/** Asks the browser to create a passkey for this account and stores it under `name`. */
export async function addPasskey(account: string, password: string | undefined, name: string) {
  const { options } = await request<{ options: PublicKeyCredentialCreationOptionsJSON }>(
    '/auth/passkeys/registration-options',
    { account, method: 'POST', body: { password } },
  );
  const response = await startRegistration({ optionsJSON: options });
  return request<{ passkey: Passkey }>('/auth/passkeys', {
    account,
    method: 'POST',
    body: { name, response },
  });
}

export const renamePasskey = (account: string, id: string, name: string) =>
  request<{ passkey: Passkey }>(`/auth/passkeys/${encodeURIComponent(id)}`, {
    account,
    method: 'PATCH',
    body: { name },
  });

export const removePasskey = (account: string, id: string) =>
  request<unknown>(`/auth/passkeys/${encodeURIComponent(id)}`, { account, method: 'DELETE' });

/** Signs in with whichever passkey for this site the person picks (no email, no password). */
export async function signInWithPasskey(): Promise<SignedIn> {
  const { options } = await request<{ options: PublicKeyCredentialRequestOptionsJSON }>(
    '/auth/signin/passkey-options',
    { method: 'POST', body: {} },
  );
  const response = await startAuthentication({ optionsJSON: options });
  const result = await request<SignedIn>('/auth/signin/passkey', {
    method: 'POST',
    body: { response },
  });
  setCsrfToken(result.csrfToken);
  return result;
}

/** Finishes a sign-in waiting for its second factor with one of the account's passkeys. */
export async function secondFactorWithPasskey(challenge: string): Promise<SignedIn> {
  const { options } = await request<{ options: PublicKeyCredentialRequestOptionsJSON }>(
    '/auth/signin/passkey-options',
    { method: 'POST', body: { challenge } },
  );
  const passkey = await startAuthentication({ optionsJSON: options });
  const result = await request<SignedIn>('/auth/signin/second-factor', {
    method: 'POST',
    body: { challenge, passkey },
  });
  setCsrfToken(result.csrfToken);
  return result;
}

/** An assertion that the person is present, for opening the vault. */
export async function presenceWithPasskey(account: string) {
  const { options } = await request<{ options: PublicKeyCredentialRequestOptionsJSON }>(
    '/auth/passkeys/presence-options',
    { account, method: 'POST' },
  );
  const response = await startAuthentication({ optionsJSON: options });
  // The server asks for no extensions, so their results carry nothing it reads.
  return { ...response, clientExtensionResults: {} };
}
