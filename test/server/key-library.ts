import { randomUUID } from 'node:crypto';
import type { ErrorBody } from '../../src/api/errors.js';
import type { KeyPage, KeySummary, NewKey as NewKeyBody, RevealedKey } from '../../src/api/keys.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import type { ApiResponse, TestBrowser } from './harness.js';

/** What the key library answers: the server's own contract (src/api), so tests read it as sent. */
export type KeySummaryReply = KeySummary;
export type KeyPageReply = KeyPage;
export type ErrorReply = ErrorBody;

/** A key as the tests add it: always with a device name and a drive. */
export type NewKey = NewKeyBody & Required<Pick<NewKeyBody, 'deviceName' | 'volume'>>;

/** A key as Windows would make it: a random protector ID and a valid random password. */
export function randomKey(overrides: Partial<NewKey> = {}): NewKey {
  return {
    protectorId: randomUUID().toUpperCase(),
    recoveryPassword: generateRecoveryPassword(),
    deviceName: 'ADA-LAPTOP',
    volume: { label: 'C:', type: 'os' },
    ...overrides,
  };
}

export async function addKey(
  browser: TestBrowser,
  key: NewKey,
  account?: string,
): Promise<KeySummaryReply> {
  const response = await browser.request<{ key: KeySummaryReply }>('POST', '/api/v1/keys', {
    body: key,
    ...(account ? { account } : {}),
  });
  if (response.status !== 201) {
    throw new Error(`adding a key failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body.key;
}

export function revealKey(
  browser: TestBrowser,
  id: string,
  account?: string,
): Promise<ApiResponse<RevealedKey & Partial<ErrorReply>>> {
  return browser.request('POST', `/api/v1/keys/${id}/reveal`, account ? { account } : {});
}

let emailCounter = 0;
/** A fresh address per call, so tests never share an account. */
export function uniqueEmail(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}.${randomUUID().slice(0, 8)}@example.org`;
}

export const testPassword = 'violet tractor umbrella';
