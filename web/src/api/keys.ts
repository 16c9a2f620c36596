import type { FeedbackCreated, FeedbackInput, FeedbackReport } from '../../../src/api/feedback.js';
import type { FindAnswer } from '../../../src/api/find.js';
import type {
  AddedKey,
  Backup,
  ExportRequest,
  ImportResult,
  ImportUpload,
  KeyListQuery,
  KeyPage,
  KeySummary,
  NewBackup,
  NewKey,
  RevealedKey,
  UploadedFile,
} from '../../../src/api/keys.js';
import type { VaultState, VaultStatus, VaultUnlock } from '../../../src/api/vault.js';
import { download, request, type DownloadedFile } from './client.js';

/** The key library API (docs/api.md); its shapes are the server's contract (src/api). */
export type { ElsewherePlace, FindAnswer } from '../../../src/api/find.js';
export type {
  ImportResult,
  ImportUpload,
  KeySummary,
  UploadedFile,
  VolumeType as DriveType,
} from '../../../src/api/keys.js';

export const listKeys = (
  account: string,
  query: Omit<KeyListQuery, 'cursor'> & { cursor?: string | null },
  signal?: AbortSignal,
) =>
  request<KeyPage>('/keys', {
    account,
    query: {
      q: query.q,
      cursor: query.cursor ?? undefined,
      limit: query.limit,
      deleted: query.deleted ? true : undefined,
    },
    ...(signal ? { signal } : {}),
  });

export const getKey = (account: string, id: string) =>
  request<{ key: KeySummary }>(`/keys/${encodeURIComponent(id)}`, { account });

export const addKey = (account: string, key: NewKey) =>
  request<AddedKey>('/keys', {
    account,
    method: 'POST',
    body: key,
  });

export const importKeys = (account: string, file: ImportUpload, dryRun: boolean) =>
  request<ImportResult>('/keys/import', {
    account,
    method: 'POST',
    body: file,
    query: { dryRun: dryRun ? true : undefined },
  });

export const revealKey = (account: string, id: string) =>
  request<RevealedKey>(`/keys/${encodeURIComponent(id)}/reveal`, { account, method: 'POST' });

export const downloadRecoveryFile = (account: string, key: KeySummary, lang: string) =>
  download(
    `/keys/${encodeURIComponent(key.id)}/recovery-file`,
    `BitLocker Recovery Key ${key.protectorId}.TXT`,
    { account, query: { lang } },
  );

export const downloadSheet = (
  account: string,
  key: KeySummary,
  lang: string,
  paper: 'a4' | 'letter',
): Promise<DownloadedFile> =>
  download(`/keys/${encodeURIComponent(key.id)}/sheet.pdf`, `Keyhold ${key.shortId}.pdf`, {
    account,
    query: { lang, paper },
  });

export const listBackups = (account: string, id: string) =>
  request<{ items: Backup[] }>(`/keys/${encodeURIComponent(id)}/backups`, { account });

export const recordBackup = (account: string, id: string, backup: NewBackup) =>
  request<{ backup: Backup }>(`/keys/${encodeURIComponent(id)}/backups`, {
    account,
    method: 'POST',
    body: backup,
  });

export const moveToVault = (account: string, id: string, into: boolean) =>
  request<{ key: KeySummary }>(`/keys/${encodeURIComponent(id)}/vault`, {
    account,
    method: into ? 'POST' : 'DELETE',
  });

export const deleteKey = (account: string, id: string) =>
  request<{ key: KeySummary }>(`/keys/${encodeURIComponent(id)}`, {
    account,
    method: 'DELETE',
    body: { confirmSaved: true },
  });

export const restoreKey = (account: string, id: string) =>
  request<{ key: KeySummary }>(`/keys/${encodeURIComponent(id)}/restore`, {
    account,
    method: 'POST',
  });

export const exportKeys = (account: string, body: ExportRequest) =>
  download('/keys/export', `keyhold-keys.${body.format}`, { account, method: 'POST', body });

export const findKey = (keyId: string, account: string | undefined) =>
  request<FindAnswer>('/find', { account, query: { keyId } });

export const getVault = (account: string) => request<VaultState>('/vault', { account });

export const unlockVault = (account: string, body: VaultUnlock) =>
  request<VaultStatus>('/vault/unlock', {
    account,
    method: 'POST',
    body,
  });

/** An uploaded recovery file, as it was sent (needs the vault unlocked when it is in there). */
export const downloadUploadedFile = (account: string, id: string, name: string) =>
  download(`/files/${encodeURIComponent(id)}/download`, name, { account });

export const lockVault = (account: string) =>
  request<VaultStatus>('/vault/lock', { account, method: 'POST' });

export const sendFeedback = (feedback: FeedbackInput) =>
  request<FeedbackCreated>('/feedback', { method: 'POST', body: feedback });

export const getFeedbackReport = (account: string) =>
  request<FeedbackReport>('/admin/feedback', { account });

/** Deletes a key in the bin for good; it cannot be restored afterwards. */
export const purgeKey = (account: string, id: string) =>
  request<unknown>(`/keys/${encodeURIComponent(id)}/permanently`, {
    account,
    method: 'DELETE',
    body: { confirmPermanent: true },
  });

export const listFiles = (account: string, signal?: AbortSignal) =>
  request<{ items: UploadedFile[] }>('/files', { account, ...(signal ? { signal } : {}) });

/** Into the vault needs no unlock; out of it needs the vault open. */
export const moveFileToVault = (account: string, id: string, into: boolean) =>
  request<unknown>(`/files/${encodeURIComponent(id)}/vault`, {
    account,
    method: into ? 'POST' : 'DELETE',
  });
