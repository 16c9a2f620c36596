import { download, request, type DownloadedFile } from './client.js';

/** The key library API (docs/api.md); a summary never carries the recovery password. */
export type DriveType = 'os' | 'fixed' | 'removable';
export type BackupDestination = 'account' | 'usb' | 'file' | 'print' | 'vault';

export interface KeySummary {
  id: string;
  protectorId: string;
  shortId: string;
  deviceName: string;
  volume: { label: string; type: DriveType; volumeGuid: string | null };
  source: string;
  createdAt: string;
  updatedAt: string;
  backupCount: number;
  lastBackup: { destination: BackupDestination; at: string } | null;
  hasOfflineBackup: boolean;
  inVault: boolean;
  deletedAt: string | null;
}

export interface KeyPage {
  items: KeySummary[];
  nextCursor: string | null;
}

export interface Backup {
  id: string;
  destination: BackupDestination;
  at: string;
  note?: string | null;
}

export interface NewKey {
  protectorId: string;
  recoveryPassword: string;
  /** Details the person gave; left out, a key already stored keeps its own. */
  deviceName?: string;
  volume?: { label?: string; type?: DriveType };
  /** What the form showed without the person changing it: used for a new key only. */
  defaults?: { volumeLabel?: string; volumeType?: DriveType };
  source: 'manual';
}

/** The details of a stored key a save can change, as the server names them. */
export type DetailField = 'deviceName' | 'volume.label' | 'volume.type' | 'volume.volumeGuid';

export interface ImportFinding {
  protectorId: string;
  type: string;
  volume?: { label?: string; type?: DriveType } | null;
  action: 'add' | 'update' | 'skip' | 'conflict';
  reason?: string;
  updated?: DetailField[];
}

export interface ImportResult {
  found: ImportFinding[];
  added: number;
  updated: number;
}

export interface FindMatch {
  accountId: string;
  email: string;
  displayName: string;
  keys: {
    id: string;
    shortId: string;
    protectorId: string;
    deviceName: string;
    volume: { label: string; type: DriveType };
  }[];
}

export type ElsewherePlace = 'paper' | 'usb' | 'file' | 'other-account' | 'organisation';

export interface FindResult {
  matches: FindMatch[];
  elsewhere: { place: ElsewherePlace; hint: string }[];
}

export interface VaultState {
  locked: boolean;
  lockExpiresAt: string | null;
  items: { id: string; kind: 'key' | 'file'; name: string }[];
}

export const listKeys = (
  account: string,
  query: { q?: string; cursor?: string | null; limit?: number; deleted?: boolean },
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
  request<{ key: KeySummary; created: boolean; updated: DetailField[] }>('/keys', {
    account,
    method: 'POST',
    body: key,
  });

export interface ImportUpload {
  filename: string;
  contentBase64: string;
  /** For files that do not name their computer (a recovery .TXT, a .BEK). */
  deviceName?: string;
}

export const importKeys = (account: string, file: ImportUpload, dryRun: boolean) =>
  request<ImportResult>('/keys/import', {
    account,
    method: 'POST',
    body: file,
    query: { dryRun: dryRun ? true : undefined },
  });

export const revealKey = (account: string, id: string) =>
  request<{ recoveryPassword: string; protectorId: string }>(
    `/keys/${encodeURIComponent(id)}/reveal`,
    { account, method: 'POST' },
  );

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

export const recordBackup = (
  account: string,
  id: string,
  backup: { destination: 'usb' | 'file' | 'print'; note?: string },
) =>
  request<{ backup: Backup }>(`/keys/${encodeURIComponent(id)}/backups`, {
    account,
    method: 'POST',
    body: backup,
  });

export const moveToVault = (account: string, id: string, into: boolean) =>
  request<unknown>(`/keys/${encodeURIComponent(id)}/vault`, {
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

export const exportKeys = (
  account: string,
  body: { format: 'json' | 'csv'; password?: string; totpCode?: string },
) => download('/keys/export', `keyhold-keys.${body.format}`, { account, method: 'POST', body });

export const findKey = (keyId: string, account: string | undefined) =>
  request<FindResult>('/find', { account, query: { keyId } });

export const getVault = (account: string) => request<VaultState>('/vault', { account });

export const unlockVault = (
  account: string,
  body: { totpCode?: string; password?: string; passkey?: unknown },
) =>
  request<{ locked: false; lockExpiresAt: string }>('/vault/unlock', {
    account,
    method: 'POST',
    body,
  });

/** An uploaded recovery file, as it was sent (needs the vault unlocked when it is in there). */
export const downloadUploadedFile = (account: string, id: string, name: string) =>
  download(`/files/${encodeURIComponent(id)}/download`, name, { account });

export const lockVault = (account: string) =>
  request<{ locked: true }>('/vault/lock', { account, method: 'POST' });

export interface FeedbackInput {
  article: string;
  helpful: boolean;
  languageQuality?: number;
  reasons?: string[];
  comment?: string;
  /** The language the article was read in, so language quality is judged per language. */
  language?: string;
}

export const sendFeedback = (feedback: FeedbackInput) =>
  request<unknown>('/feedback', { method: 'POST', body: feedback });

export interface FeedbackReport {
  items: {
    id?: string;
    article: string;
    helpful: boolean;
    languageQuality?: number | null;
    reasons?: string[];
    comment?: string | null;
    createdAt?: string;
    language?: string;
  }[];
  summary: {
    byArticle: {
      article: string;
      helpful: number;
      notHelpful: number;
      averageLanguageQuality: number | null;
    }[];
  };
}

export const getFeedbackReport = (account: string) =>
  request<FeedbackReport>('/admin/feedback', { account });

/** Deletes a key in the bin for good; it cannot be restored afterwards. */
export const purgeKey = (account: string, id: string) =>
  request<unknown>(`/keys/${encodeURIComponent(id)}/permanently`, {
    account,
    method: 'DELETE',
    body: { confirmPermanent: true },
  });

/** A key file as it was uploaded (imported), kept so the original can be downloaded. */
export interface UploadedFile {
  id: string;
  fileName: string;
  size: number;
  format: string;
  createdAt: string;
  inVault: boolean;
  keyIds: string[];
}

export const listFiles = (account: string, signal?: AbortSignal) =>
  request<{ items: UploadedFile[] }>('/files', { account, ...(signal ? { signal } : {}) });

/** Into the vault needs no unlock; out of it needs the vault open. */
export const moveFileToVault = (account: string, id: string, into: boolean) =>
  request<unknown>(`/files/${encodeURIComponent(id)}/vault`, {
    account,
    method: into ? 'POST' : 'DELETE',
  });
