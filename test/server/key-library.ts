import { randomUUID } from 'node:crypto';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import type { ApiResponse, TestBrowser } from './harness.js';

/** What the key library answers, as the tests read it. */
export interface KeySummaryReply {
  id: string;
  protectorId: string;
  shortId: string;
  deviceName: string;
  volume: { label: string; type: string; volumeGuid: string | null };
  source: string;
  createdAt: string;
  backupCount: number;
  lastBackup: { destination: string; at: string } | null;
  hasOfflineBackup: boolean;
  inVault: boolean;
  deletedAt: string | null;
}

export interface KeyPageReply {
  items: KeySummaryReply[];
  nextCursor: string | null;
}

export interface ErrorReply {
  error: { code: string; message: string; details?: unknown };
}

export interface NewKey {
  protectorId: string;
  recoveryPassword: string;
  deviceName: string;
  volume: { label: string; type: 'os' | 'fixed' | 'removable'; volumeGuid?: string };
  source?: string;
}

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
): Promise<ApiResponse<{ recoveryPassword: string; protectorId: string } & Partial<ErrorReply>>> {
  return browser.request('POST', `/api/v1/keys/${id}/reveal`, account ? { account } : {});
}

let emailCounter = 0;
/** A fresh address per call, so tests never share an account. */
export function uniqueEmail(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}.${randomUUID().slice(0, 8)}@example.org`;
}

export const testPassword = 'violet tractor umbrella';
