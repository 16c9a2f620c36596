import { ApiError } from '../account/api-client.js';
import {
  describeCredential,
  readCredentials,
  selectCredentials,
  type StoredCredential,
} from '../account/credentials.js';
import { AccountKeys, type BackupDestination } from '../account/key-library.js';
import type { OrganisationTarget } from '../account/organisation-library.js';
import { say } from '../../text/terminal-language.js';
import { CliError } from '../output.js';
import type { BackupSettings, DestinationResult } from './destinations.js';
import { backupMessages } from './messages.js';

/** One backup written down in an account's key library (or why it could not be). */
export interface RecordedBackup {
  account: string;
  server: string;
  destination: BackupDestination;
  recorded: boolean;
  reason?: string;
}

function noteOf(result: DestinationResult): string {
  return result.path ?? (result.printer ? `printer ${result.printer}` : '');
}

async function keyRecordIn(
  keys: AccountKeys,
  settings: BackupSettings,
  results: readonly DestinationResult[],
): Promise<string | undefined> {
  const credential = keys.credential;
  const uploaded = results.find(
    (result) =>
      result.destination === 'account' && result.ok && result.server === credential.server,
  );
  if (uploaded?.keyRecordId) return uploaded.keyRecordId;
  const found = await keys.findByProtectorId(settings.key.protectorId);
  return found?.id;
}

/**
 * Writes every successful USB, file and print backup into the key's record in each logged-in
 * account that holds the key (`--account` narrows it to one), so the library shows where
 * offline copies are; with `--org`, into the organisation library the key went to instead. An
 * account without the key is told about, never given the key unasked.
 */
export async function recordBackups(
  results: readonly DestinationResult[],
  settings: BackupSettings,
  flags: {
    account?: string | undefined;
    organisation?: { credential: StoredCredential; target: OrganisationTarget };
  },
  report: (line: string) => void,
): Promise<RecordedBackup[]> {
  const offline = results.flatMap((result) => {
    const destination = result.recordAs ?? result.destination;
    return result.ok && destination !== 'account' ? [{ ...result, destination }] : [];
  });
  if (offline.length === 0) return [];
  const libraries = flags.organisation
    ? [new AccountKeys(flags.organisation.credential, flags.organisation.target)]
    : selectCredentials(await readCredentials(), flags.account).map(
        (credential) => new AccountKeys(credential),
      );
  const recorded: RecordedBackup[] = [];
  for (const keys of libraries) {
    const credential = keys.credential;
    const name = flags.organisation
      ? `${flags.organisation.target.name} (${describeCredential(credential)})`
      : describeCredential(credential);
    let keyRecordId: string | undefined;
    try {
      keyRecordId = await keyRecordIn(keys, settings, results);
    } catch (error) {
      if (!(error instanceof CliError) && !(error instanceof ApiError)) throw error;
      report(say(backupMessages.notRecordedIn(name, error.message)));
      for (const result of offline) {
        recorded.push({
          account: credential.email,
          server: credential.server,
          destination: result.destination,
          recorded: false,
          reason: error.message,
        });
      }
      continue;
    }
    if (keyRecordId === undefined) {
      if (flags.account !== undefined) {
        report(say(backupMessages.accountLacksKey(name)));
      }
      continue;
    }
    const done: string[] = [];
    for (const result of offline) {
      try {
        await keys.recordBackup(keyRecordId, result.destination, noteOf(result));
        done.push(result.destination);
        recorded.push({
          account: credential.email,
          server: credential.server,
          destination: result.destination,
          recorded: true,
        });
      } catch (error) {
        if (!(error instanceof CliError) && !(error instanceof ApiError)) throw error;
        report(say(backupMessages.oneNotRecorded(result.destination, name, error.message)));
        recorded.push({
          account: credential.email,
          server: credential.server,
          destination: result.destination,
          recorded: false,
          reason: error.message,
        });
      }
    }
    if (done.length > 0) report(say(backupMessages.recorded(done.join(', '), name)));
  }
  return recorded;
}
