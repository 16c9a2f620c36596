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
import { say } from '../../text/terminal-language.js';
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
import { backupMessages } from './messages.js';
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
    const choices = destinationNames.join(', ');
    throw new CliError(
      say(
        unknown.length > 0
          ? backupMessages.badDestination(unknown.join(', '), choices)
          : backupMessages.noDestination(choices),
      ),
    );
  }
  return [...new Set(names as DestinationName[])];
}

export function language(flags: BackupFlags): RecoveryFileLanguage {
  if (!recoveryFileLanguages.includes(flags.lang as RecoveryFileLanguage)) {
    throw new CliError(
      say(backupMessages.badLanguage(recoveryFileLanguages.join(', '), flags.lang)),
    );
  }
  return flags.lang as RecoveryFileLanguage;
}

export function paper(flags: BackupFlags): SheetPaper {
  if (flags.paper !== 'a4' && flags.paper !== 'letter') {
    throw new CliError(say(backupMessages.badPaper(flags.paper)));
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
      throw new CliError(say(backupMessages.flagWithoutDestination(flag, destination)));
    }
  }
  if (flags.printer !== undefined && flags.pdf !== undefined) {
    throw new CliError(say(backupMessages.printerAndPdf));
  }
  if (flags.org !== undefined && !destinations.includes('account')) throw orgNeedsAccount();
}

/** The keys the flags point at: a file, typed-in values, or this Windows computer's volumes. */
export async function candidateKeys(flags: BackupFlags): Promise<BackupKey[] | undefined> {
  if (flags.password !== undefined) {
    if (flags.from !== undefined) throw new CliError(say(backupMessages.fromAndPassword));
    if (flags.id !== undefined) return [await keyFromTyped(flags.id, flags.password)];
    if (flags.image !== undefined) {
      return [await keyFromImage(flags.image, flags.password, createProgress(flags))];
    }
    throw new CliError(say(backupMessages.passwordNeedsId));
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
    const filters = [
      flags.id !== undefined ? `--id ${flags.id}` : '',
      flags.volume !== undefined ? `--volume ${flags.volume}` : '',
    ].filter(Boolean);
    throw new CliError(say(backupMessages.noKeyMatches(filters, listed)), ExitCode.negative);
  }
  if (keys.length === 1 && keys[0]) return keys[0];
  return keys;
}

export function tooManyKeys(keys: readonly BackupKey[]): CliError {
  const listed = keys.map((key) => `  ${keyChoiceLabel(key)}`).join('\n');
  return new CliError(say(backupMessages.tooManyKeys(keys.length, listed)));
}

export function noKeySource(): CliError {
  return new CliError(
    say(
      process.platform === 'win32' ? backupMessages.noKeyOnThisComputer : backupMessages.whichKey,
    ),
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
          throw new CliError(say(backupMessages.fileNeedsPath));
        }
        planned.push({ kind: 'file', path: flags.file });
        break;
      case 'print':
        if (flags.printer !== undefined) planned.push({ kind: 'print', printer: flags.printer });
        else if (flags.pdf !== undefined) planned.push({ kind: 'pdf', path: flags.pdf });
        else {
          throw new CliError(say(backupMessages.printNeedsPrinter));
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
  const mark = result.ok ? style.green('ok') : style.bold(say(backupMessages.failedMark));
  return `${mark} ${result.destination}: ${escapeForTerminal(say(result.message))}`;
}

function summary(results: readonly DestinationResult[]): CliError | undefined {
  const failedOnes = results.filter((result) => !result.ok);
  if (failedOnes.length === 0) return undefined;
  const succeeded = results.filter((result) => result.ok).map((result) => result.destination);
  const exitCode = Math.max(...failedOnes.map((result) => result.exitCode));
  const failedNames = failedOnes.map((result) => result.destination).join(', ');
  return new CliError(
    say(
      succeeded.length > 0
        ? backupMessages.partlyFailed(failedNames, succeeded.join(', '))
        : backupMessages.allFailed(failedNames),
    ),
    exitCode,
  );
}

/** Runs the plan, prints a line per destination, records the backups, sets the exit status. */
export async function performBackup(
  planned: readonly PlannedDestination[],
  settings: BackupSettings,
  flags: Pick<BackupFlags, 'json' | 'account'>,
): Promise<void> {
  if (!flags.json) printLine(say(backupMessages.backingUp(describeKey(settings.key))));
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
      // Machine output: each destination's message in English, whatever the terminal's language.
      results: results.map(({ exitCode: _exitCode, message, ...result }) => ({
        ...result,
        message: message.en,
      })),
      recorded,
    });
    if (problem) process.exitCode = problem.exitCode;
    return;
  }
  if (problem) throw problem;
}
