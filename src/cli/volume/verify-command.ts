import type { KeyCheck } from '../../bitlocker/volume/volume.js';
import { verifyVolumeKey } from '../../bitlocker/volume/volume.js';
import type { Wording } from '../../text/wording.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode, printJson, printLine, style } from '../output.js';
import type { AccountSecret } from './account-secret.js';
import { volumeMessages } from './messages.js';
import { volumeCrypto } from './native-crypto.js';
import type { SecretFlags } from './secret-flags.js';
import { compileWebAssemblyOptimized, secretFromFlags } from './secret-input.js';
import { withImage } from './volume-errors.js';

/** The sentence for a key that does not open a volume, with what the volume does have. */
export function doesNotOpenMessage(check: Extract<KeyCheck, { opens: false }>): Wording {
  const present = check.protectors.map((p) => `${p.type} ${p.id}`).join(', ');
  return volumeMessages.doesNotOpen(
    check.reason === 'no-matching-protector'
      ? volumeMessages.noMatchingProtector(check.triedType, present)
      : volumeMessages.matchesNoProtector(check.triedType),
  );
}

export interface VerifyFlags extends SecretFlags {
  /** A Key ID (or its first 8 characters) whose recovery password a logged-in account holds. */
  fromAccount?: string;
  account?: string;
  json?: boolean;
  verbose?: boolean;
}

async function fetchedFromAccount(flags: VerifyFlags): Promise<AccountSecret | undefined> {
  if (flags.fromAccount === undefined) {
    if (flags.account !== undefined) {
      throw new CliError(say(volumeMessages.accountWithoutFromAccount));
    }
    return undefined;
  }
  const other = [
    flags.recoveryPassword !== undefined && '--recovery-password',
    flags.password !== undefined && '--password',
    flags.bek !== undefined && '--bek',
    flags.clearKey === true && '--clear-key',
  ].filter((name) => name !== false);
  if (other.length > 0) {
    throw new CliError(say(volumeMessages.oneKeyWithAccount(other)));
  }
  // The account client is loaded only here: a key given on the command line never needs it.
  const { secretFromAccount } = await import('./account-secret.js');
  return secretFromAccount(flags.fromAccount, flags.account);
}

export async function runVerify(path: string, flags: VerifyFlags): Promise<void> {
  const fromAccount = await fetchedFromAccount(flags);
  const secret = fromAccount?.secret ?? (await secretFromFlags(flags));
  const crypto = volumeCrypto(flags);
  if (crypto.name === 'webassembly') compileWebAssemblyOptimized();
  const check = await withImage(path, (source) => verifyVolumeKey(source, secret, crypto));
  const origin = fromAccount ? { fromAccount: fromAccount.account } : {};
  if (check.opens) {
    if (flags.json) {
      printJson({
        opens: true,
        volumeGuid: check.volumeGuid,
        protectorId: check.protector.id,
        protectorType: check.protector.type,
        ...origin,
      });
    } else {
      const opened = volumeMessages.opens(
        check.protector.id,
        check.protector.type,
        check.volumeGuid,
        fromAccount?.account,
      );
      printLine(`${style.green(say(volumeMessages.opensLabel))} ${say(opened)}`);
    }
    return;
  }
  const message = doesNotOpenMessage(check);
  if (flags.json) {
    printJson({
      opens: false,
      volumeGuid: check.volumeGuid,
      reason: check.reason,
      message: message.en,
      protectors: check.protectors,
      ...origin,
    });
  }
  process.stderr.write(
    `${style.red(say(volumeMessages.noLabel), process.stderr)} ${say(message)}\n`,
  );
  process.exitCode = ExitCode.negative;
}
