import type {
  AddedKey,
  KeyDetailField,
  KeyPage,
  KeySummary,
  NewBackup,
  NewKey,
  RevealedKey,
} from '../../api/keys.js';
import { ApiError, KeyholdApi, loginProblem } from './api-client.js';
import type { StoredCredential } from './credentials.js';
import { CliError } from '../output.js';
import { mayNotAdd, type OrganisationTarget } from './organisation-library.js';
import { say } from '../../text/terminal-language.js';
import { accountMessages } from './messages.js';

/** A key as the server lists it (never with its recovery password). */
export type { KeySummary };

/** Where a copy taken out of the account went, as the server records it. */
export type BackupDestination = NewBackup['destination'];

/** How a changed detail is named in a sentence. */
export const detailWords: Record<KeyDetailField, string> = {
  deviceName: 'device name',
  'volume.label': 'drive',
  'volume.type': 'drive type',
  'volume.volumeGuid': 'volume GUID',
};

/**
 * Calls to the key library API with one stored login: the person's own library, or with
 * `organisation` that organisation's. A rejected login says how to fix it.
 */
export class AccountKeys {
  private readonly api: KeyholdApi;
  private readonly library: string;

  constructor(
    readonly credential: StoredCredential,
    private readonly organisation?: OrganisationTarget,
  ) {
    this.api = KeyholdApi.forCredential(credential);
    this.library = organisation ? `/api/v1/orgs/${encodeURIComponent(organisation.id)}` : '/api/v1';
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.api.request<T>(method, `${this.library}${path}`, body);
    } catch (error) {
      // In an organisation's library a role that may not add keys is refused (403), and one
      // that may not even read them (an auditor) is told the library is not there (404).
      if (
        this.organisation &&
        error instanceof ApiError &&
        (error.code === 'forbidden' || (error.code === 'not_found' && path.startsWith('/keys?')))
      ) {
        throw mayNotAdd(this.organisation);
      }
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        throw loginProblem(this.credential, error);
      }
      throw error;
    }
  }

  /** Keys whose ID starts with `prefix` (at least 4 hex digits), first page only. */
  async search(prefix: string): Promise<KeySummary[]> {
    const query = new URLSearchParams({ q: prefix, limit: '50' });
    const page = await this.call<KeyPage>('GET', `/keys?${query.toString()}`);
    return page.items;
  }

  /** The account's record of exactly this protector ID, if it holds one. */
  async findByProtectorId(protectorId: string): Promise<KeySummary | undefined> {
    const items = await this.search(protectorId);
    return items.find((item) => item.protectorId === protectorId);
  }

  /**
   * Adds the key, or updates the details given of the stored one; `defaults` (guesses such as
   * this computer's name) only fill in a new key. Refuses loudly a different password under its ID.
   */
  async upload(key: Omit<NewKey, 'source'>): Promise<AddedKey> {
    try {
      return await this.call('POST', '/keys', { ...key, source: 'cli' });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        throw new CliError(
          say(accountMessages.differentPassword(this.organisation?.name, key.protectorId)),
        );
      }
      throw error;
    }
  }

  async recordBackup(keyRecordId: string, destination: BackupDestination, note: string) {
    const backup: NewBackup = { destination, note };
    await this.call('POST', `/keys/${encodeURIComponent(keyRecordId)}/backups`, backup);
  }

  /** The recovery password; the server records the reveal in the account's activity. */
  async reveal(keyRecordId: string): Promise<string> {
    const body = await this.call<RevealedKey>(
      'POST',
      `/keys/${encodeURIComponent(keyRecordId)}/reveal`,
      {},
    );
    return body.recoveryPassword;
  }
}
