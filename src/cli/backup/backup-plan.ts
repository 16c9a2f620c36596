/**
 * What `keyhold backup` does once it knows the key and the destinations, shared by the flags path
 * (`backup.ts`) and the wizard: parsing and checking the flags, picking the key, running and
 * reporting the destinations.
 */
import type { BackupFlags } from './backup-flags.js';
import type { SheetPaper } from '../../backup/recovery-sheet.js';
import { recoveryFileLanguages, type RecoveryFileLanguage } from '../../bitlocker/recovery-file.js';
import {
  readCredentials,
  selectOneCredential,
  type StoredCredential,
} from '../account/credentials.js';
import { organisationNamed, orgNeedsAccount } from '../account/organisation-library.js';
import { CliError, escapeForTerminal, ExitCode, printJson, printLine, style } from '../output.js';
import {
  describeKey,
  filterKeys,
  keyChoiceLabel,
  keyFromTyped,
  keysFromFile,
  type BackupKey,
} from './backup-key.js';
import {
  destinationNames,
  runDestinations,
  type BackupSettings,
  type DestinationName,
  type DestinationResult,
  type PlannedDestination,
} from './destinations.js';
import { keyFromImage } from './image-check.js';
import { createProgress } from './progress.js';
import { recordBackups, type RecordedBackup } from './record-backups.js';
import { chooseUsbDrive } from './usb-choice.js';
import { readLocalVolumeKeys, runWindowsCommand } from './windows-volumes.js';

export function parseDestinations(list: string): DestinationName[] {
  const names = list
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((name) => !(destinationNames as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new CliError(
      `--to: ${unknown.length > 0 ? `"${unknown.join(', ')}" is not a destination` : 'no destination given'}; choose from ${destinationNames.join(', ')}.`,
    );
  }
  return [...new Set(names as DestinationName[])];
}

export function language(flags: BackupFlags): RecoveryFileLanguage {
  if (!recoveryFileLanguages.includes(flags.lang as RecoveryFileLanguage)) {
    throw new CliError(
      `--lang must be one of ${recoveryFileLanguages.join(', ')}; got "${flags.lang}".`,
    );
  }
  return flags.lang as RecoveryFileLanguage;
}

export function paper(flags: BackupFlags): SheetPaper {
  if (flags.paper !== 'a4' && flags.paper !== 'letter') {
    throw new CliError(`--paper must be a4 or letter; got "${flags.paper}".`);
  }
  return flags.paper;
}

/** Flags that only make sense with a destination that was not chosen are a mistake to point out. */
export function checkDestinationFlags(
  flags: BackupFlags,
  destinations: readonly DestinationName[],
): void {
  const needs: [keyof BackupFlags, DestinationName][] = [
    ['usb', 'usb'],
    ['file', 'file'],
    ['printer', 'print'],
    ['pdf', 'print'],
  ];
  for (const [flag, destination] of needs) {
    if (flags[flag] !== undefined && !destinations.includes(destination)) {
      throw new CliError(`--${flag} is given but --to does not include ${destination}.`);
    }
  }
  if (flags.printer !== undefined && flags.pdf !== undefined) {
    throw new CliError('Give either --printer (print now) or --pdf (save the sheet), not both.');
  }
  if (flags.org !== undefined && !destinations.includes('account')) throw orgNeedsAccount();
}

/** The keys the flags point at: a file, typed-in values, or this Windows computer's volumes. */
export async function candidateKeys(flags: BackupFlags): Promise<BackupKey[] | undefined> {
  if (flags.password !== undefined) {
    if (flags.from !== undefined) throw new CliError('Give either --from or --password, not both.');
    if (flags.id !== undefined) return [await keyFromTyped(flags.id, flags.password)];
    if (flags.image !== undefined) {
      return [await keyFromImage(flags.image, flags.password, createProgress(flags))];
    }
    throw new CliError(
      '--password needs --id (the key protector ID it belongs to), or --image to take the ID from the volume the key opens.',
    );
  }
  if (flags.from !== undefined) return keysFromFile(flags.from);
  if (process.platform === 'win32') return readLocalVolumeKeys(runWindowsCommand);
  return undefined;
}

/** Narrows the candidates to one key, or says exactly which flag would. */
export function pickKey(
  candidates: readonly BackupKey[],
  flags: BackupFlags,
): BackupKey | BackupKey[] {
  const filter = {
    ...(flags.password === undefined && flags.id !== undefined ? { id: flags.id } : {}),
    ...(flags.volume !== undefined ? { volume: flags.volume } : {}),
  };
  const keys = filterKeys(candidates, filter);
  if (keys.length === 0) {
    const listed = candidates.map((key) => `  ${keyChoiceLabel(key)}`).join('\n');
    throw new CliError(
      `No recovery key matches ${[flags.id && `--id ${flags.id}`, flags.volume && `--volume ${flags.volume}`].filter(Boolean).join(' and ')}. The keys found:\n${listed}`,
      ExitCode.negative,
    );
  }
  if (keys.length === 1 && keys[0]) return keys[0];
  return keys;
}

export function tooManyKeys(keys: readonly BackupKey[]): CliError {
  const listed = keys.map((key) => `  ${keyChoiceLabel(key)}`).join('\n');
  return new CliError(
    `There are ${keys.length} recovery keys; choose one with --id <first 8 characters> or --volume:\n${listed}`,
  );
}

export function noKeySource(): CliError {
  return new CliError(
    process.platform === 'win32'
      ? 'No BitLocker recovery key was found on this computer. Give a saved key with --from, or --id and --password.'
      : 'Which key? Give --from <file> (a recovery key file, .TXT, manage-bde or PowerShell output) or --id and --password.',
  );
}

/** The account destination: the login, and with --org the organisation library it adds to. */
export async function accountDestination(
  flags: BackupFlags,
  credential: StoredCredential,
): Promise<PlannedDestination> {
  if (flags.org === undefined) return { kind: 'account', credential };
  return {
    kind: 'account',
    credential,
    organisation: await organisationNamed(credential, flags.org),
  };
}

/** Turns the flags into finished destinations; anything missing is an error naming the flag. */
export async function planFromFlags(
  flags: BackupFlags,
  destinations: readonly DestinationName[],
): Promise<PlannedDestination[]> {
  const planned: PlannedDestination[] = [];
  for (const destination of destinations) {
    switch (destination) {
      case 'account':
        planned.push(
          await accountDestination(
            flags,
            selectOneCredential(await readCredentials(), flags.account),
          ),
        );
        break;
      case 'usb':
        planned.push(await chooseUsbDrive(flags.usb));
        break;
      case 'file':
        if (flags.file === undefined) {
          throw new CliError(
            '--to file needs --file <path|folder>: where to write the recovery key file.',
          );
        }
        planned.push({ kind: 'file', path: flags.file });
        break;
      case 'print':
        if (flags.printer !== undefined) planned.push({ kind: 'print', printer: flags.printer });
        else if (flags.pdf !== undefined) planned.push({ kind: 'pdf', path: flags.pdf });
        else {
          throw new CliError(
            '--to print needs --printer <name> (print with CUPS now) or --pdf <file.pdf> (save the sheet to print later).',
          );
        }
        break;
    }
  }
  return planned;
}

/** The mount point of the key's own volume, when that volume is on this computer. */
export function protectedVolumeOf(key: BackupKey): string | undefined {
  if (process.platform !== 'win32' || !key.source.startsWith('this computer') || !key.volume) {
    return undefined;
  }
  return key.volume.endsWith('\\') ? key.volume : `${key.volume}\\`;
}

function resultLine(result: DestinationResult): string {
  const mark = result.ok ? style.green('ok') : style.bold('FAILED');
  return `${mark} ${result.destination}: ${escapeForTerminal(result.message)}`;
}

function summary(results: readonly DestinationResult[]): CliError | undefined {
  const failedOnes = results.filter((result) => !result.ok);
  if (failedOnes.length === 0) return undefined;
  const succeeded = results.filter((result) => result.ok).map((result) => result.destination);
  const exitCode = Math.max(...failedOnes.map((result) => result.exitCode));
  const failedNames = failedOnes.map((result) => result.destination).join(', ');
  return new CliError(
    succeeded.length > 0
      ? `The backup to ${failedNames} failed; it succeeded to ${succeeded.join(', ')}. Fix the problem above and run backup again for ${failedNames}.`
      : `The backup failed (${failedNames}): the key is not saved anywhere new. Fix the problem above and try again.`,
    exitCode,
  );
}

/** Runs the plan, prints a line per destination, records the backups, sets the exit status. */
export async function performBackup(
  planned: readonly PlannedDestination[],
  settings: BackupSettings,
  flags: Pick<BackupFlags, 'json' | 'account'>,
): Promise<void> {
  if (!flags.json) printLine(`Backing up the recovery key ${describeKey(settings.key)}:`);
  const results = await runDestinations(planned, settings, (result) => {
    if (!flags.json) printLine(`  ${resultLine(result)}`);
  });
  const organisationAccount = planned.find(
    (destination) => destination.kind === 'account' && destination.organisation !== undefined,
  );
  const recordIn =
    organisationAccount?.kind === 'account' && organisationAccount.organisation
      ? {
          account: flags.account,
          organisation: {
            credential: organisationAccount.credential,
            target: organisationAccount.organisation,
          },
        }
      : { account: flags.account };
  const recorded: RecordedBackup[] = await recordBackups(results, settings, recordIn, (line) => {
    if (!flags.json) printLine(`  ${escapeForTerminal(line)}`);
  });
  const problem = summary(results);
  if (flags.json) {
    printJson({
      key: {
        protectorId: settings.key.protectorId,
        ...(settings.key.volume ? { volume: settings.key.volume } : {}),
        deviceName: settings.deviceName,
        source: settings.key.source,
      },
      results: results.map(({ exitCode: _exitCode, ...result }) => result),
      recorded,
    });
    if (problem) process.exitCode = problem.exitCode;
    return;
  }
  if (problem) throw problem;
}
