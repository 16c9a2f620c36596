import {
  matchesKeyIdPrefix,
  normalizeKeyIdPrefix,
  ProtectorIdError,
} from '../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../bitlocker/recovery-password.js';
import type { VolumeSecret } from '../../bitlocker/volume/volume-keys.js';
import { ApiError } from '../account/api-client.js';
import {
  describeCredential,
  readCredentials,
  selectCredentials,
  type StoredCredential,
} from '../account/credentials.js';
import { AccountKeys, type KeySummary } from '../account/key-library.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode, printWarning } from '../output.js';
import { volumeMessages } from './messages.js';

/** The recovery screen shows the first 8 characters of the Key ID; fewer would match too much. */
const minimumPrefix = 8;

/** A recovery password fetched from an account, with where it came from (for the output). */
export interface AccountSecret {
  secret: VolumeSecret;
  protectorId: string;
  account: string;
}

interface HeldKey {
  credential: StoredCredential;
  key: KeySummary;
}

function keyIdPrefix(input: string): string {
  let prefix: string;
  try {
    prefix = normalizeKeyIdPrefix(input);
  } catch (error) {
    if (error instanceof ProtectorIdError) {
      throw new CliError(`--from-account: ${say(error.wording)}`);
    }
    throw error;
  }
  if (prefix.length < minimumPrefix) {
    throw new CliError(say(volumeMessages.keyIdTooShort(input, minimumPrefix)));
  }
  return prefix;
}

/** Every key whose ID starts with `prefix` in the chosen logins; unreachable logins are noted. */
async function searchLogins(
  prefix: string,
  credentials: readonly StoredCredential[],
): Promise<{ held: HeldKey[]; problems: string[] }> {
  const held: HeldKey[] = [];
  const problems: string[] = [];
  for (const credential of credentials) {
    try {
      // The search also matches device names; only the Key ID counts here.
      const keys = await new AccountKeys(credential).search(prefix);
      for (const key of keys) {
        if (matchesKeyIdPrefix(key.protectorId, prefix)) held.push({ credential, key });
      }
    } catch (error) {
      if (!(error instanceof CliError) && !(error instanceof ApiError)) throw error;
      problems.push(`${describeCredential(credential)}: ${error.message}`);
    }
  }
  return { held, problems };
}

function describeHeld({ credential, key }: HeldKey): string {
  const drive = [key.deviceName, key.volume.label].filter(Boolean).join(' ');
  return `  ${key.protectorId}  ${drive}  (--account ${credential.name}: ${describeCredential(credential)})`;
}

/**
 * Finds the one key with this Key ID (or prefix) in the logged-in accounts and fetches its
 * recovery password; the server records the reveal in the account's activity.
 */
export async function secretFromAccount(
  keyId: string,
  account: string | undefined,
): Promise<AccountSecret> {
  const prefix = keyIdPrefix(keyId);
  const credentials = selectCredentials(await readCredentials(), account);
  if (credentials.length === 0) {
    throw new CliError(say(volumeMessages.notLoggedIn), ExitCode.unusable);
  }
  const { held, problems } = await searchLogins(prefix, credentials);
  if (held.length > 1) {
    throw new CliError(
      say(volumeMessages.keyIdAmbiguous(keyId, held.length, held.map(describeHeld).join('\n'))),
    );
  }
  const [found] = held;
  if (!found) {
    if (problems.length > 0) {
      throw new CliError(
        say(volumeMessages.searchIncomplete(keyId, problems.join('\n  '))),
        ExitCode.environment,
      );
    }
    const searched = credentials.map(describeCredential).join('; ');
    throw new CliError(say(volumeMessages.keyIdNotHeld(keyId, searched)), ExitCode.negative);
  }
  for (const problem of problems) printWarning(problem);
  const parsed = parseRecoveryPassword(
    await new AccountKeys(found.credential).reveal(found.key.id),
  );
  if (!parsed.valid) {
    // The reason names only block numbers: verify never shows any digits of the password.
    const blocks = parsed.errors.map((error) => error.block).filter((block) => block > 0);
    const login = describeCredential(found.credential);
    throw new CliError(
      say(volumeMessages.heldPasswordInvalid(login, found.key.protectorId, blocks)),
    );
  }
  return {
    secret: { kind: 'recovery-password', password: parsed.normalized },
    protectorId: found.key.protectorId,
    account: found.credential.name,
  };
}
