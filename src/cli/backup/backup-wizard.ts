import {
  cancel,
  confirm,
  intro,
  isCancel,
  log,
  multiselect,
  note,
  outro,
  select,
  spinner,
  text,
} from '@clack/prompts';
import { resolve } from 'node:path';
import type { SheetPaper } from '../../backup/recovery-sheet.js';
import {
  parseProtectorId,
  ProtectorIdError,
  shortProtectorId,
} from '../../bitlocker/protector-id.js';
import type { RecoveryFileLanguage } from '../../bitlocker/recovery-file.js';
import {
  describeRecoveryPasswordErrors,
  parseRecoveryPassword,
} from '../../bitlocker/recovery-password.js';
import {
  describeCredential,
  readCredentials,
  selectOneCredential,
  type StoredCredential,
} from '../account/credentials.js';
import { say } from '../../text/terminal-language.js';
import { CliError, escapeForTerminal, ExitCode } from '../output.js';
import {
  deviceNameOf,
  keyChoiceLabel,
  keyFromTyped,
  keysFromFile,
  type BackupKey,
} from './backup-key.js';
import type { DestinationName, PlannedDestination } from './destinations.js';
import {
  candidateKeys,
  checkDestinationFlags,
  parseDestinations,
  accountDestination,
  performBackup,
  pickKey,
  protectedVolumeOf,
} from './backup-plan.js';
import type { BackupFlags } from './backup-flags.js';
import { checkedKey } from './image-check.js';
import { backupMessages } from './messages.js';
import { createProgress } from './progress.js';
import { mountedDrives, usbFromPath } from './usb-choice.js';

/** Leaves quietly (exit 1, nothing written) when the person presses Ctrl+C or Esc. */
function answered<T>(value: T): Exclude<T, symbol> {
  if (isCancel(value)) {
    cancel(say(backupMessages.wizardNothingBackedUp));
    throw new CliError(say(backupMessages.wizardCancelled), ExitCode.negative);
  }
  return value as Exclude<T, symbol>;
}

async function askForKeyFile(): Promise<BackupKey[]> {
  for (;;) {
    const path = answered(
      await text({
        message: say(backupMessages.wizardWhereIsKey),
        placeholder: 'BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT',
        validate: (value) => (value?.trim() ? undefined : say(backupMessages.wizardTypePath)),
      }),
    );
    try {
      return await keysFromFile(path.trim());
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      log.error(escapeForTerminal(error.message));
    }
  }
}

async function askToTypeKey(): Promise<BackupKey> {
  const id = answered(
    await text({
      message: say(backupMessages.wizardKeyId),
      placeholder: '64311DEA-4587-4029-924A-BA299647998E',
      validate: (value) => {
        try {
          parseProtectorId(value ?? '');
          return undefined;
        } catch (error) {
          if (error instanceof ProtectorIdError) return say(error.wording);
          throw error;
        }
      },
    }),
  );
  const password = answered(
    await text({
      message: say(backupMessages.wizardRecoveryKey),
      validate: (value) => {
        const parsed = parseRecoveryPassword(value ?? '');
        return parsed.valid ? undefined : say(describeRecoveryPasswordErrors(parsed.errors));
      },
    }),
  );
  return keyFromTyped(id, password);
}

async function chooseKey(flags: BackupFlags): Promise<BackupKey> {
  let candidates: BackupKey[] | undefined;
  if (flags.from !== undefined || flags.password !== undefined || process.platform === 'win32') {
    const reading = spinner();
    reading.start(say(backupMessages.wizardReadingKeys));
    try {
      candidates = await candidateKeys(flags);
    } finally {
      reading.clear();
    }
  }
  if (!candidates || candidates.length === 0) {
    if (candidates) log.warn(say(backupMessages.wizardNoKeyHere));
    const how = answered(
      await select({
        message: say(backupMessages.wizardWhichKey),
        options: [
          {
            value: 'file',
            label: say(backupMessages.wizardFromFile),
            hint: say(backupMessages.wizardFromFileHint),
          },
          {
            value: 'type',
            label: say(backupMessages.wizardTypeIt),
            hint: say(backupMessages.wizardTypeItHint),
          },
        ],
      }),
    );
    candidates = how === 'file' ? await askForKeyFile() : [await askToTypeKey()];
  }
  const picked = pickKey(candidates, flags);
  if (!Array.isArray(picked)) return picked;
  return answered(
    await select({
      message: say(backupMessages.wizardWhichKey),
      options: picked.map((key) => ({
        value: key,
        label: keyChoiceLabel(key),
        hint: escapeForTerminal(key.source),
      })),
    }),
  );
}

async function chooseDestinations(
  flags: BackupFlags,
  credentials: readonly StoredCredential[],
): Promise<DestinationName[]> {
  if (flags.to !== undefined) return parseDestinations(flags.to);
  const loggedIn = credentials.length > 0;
  return answered(
    await multiselect<DestinationName>({
      message: say(backupMessages.wizardWhere),
      options: [
        {
          value: 'account',
          label: say(backupMessages.wizardAccount),
          hint: loggedIn
            ? credentials.map(describeCredential).join(', ')
            : say(backupMessages.wizardLogInFirst),
          disabled: !loggedIn,
        },
        {
          value: 'usb',
          label: say(backupMessages.wizardUsb),
          hint: say(backupMessages.wizardUsbHint),
        },
        {
          value: 'file',
          label: say(backupMessages.wizardFile),
          hint: say(backupMessages.wizardFileHint),
        },
        {
          value: 'print',
          label: say(backupMessages.wizardPrint),
          hint: say(backupMessages.wizardPrintHint),
        },
      ],
      required: true,
    }),
  );
}

async function chooseAccount(
  flags: BackupFlags,
  credentials: readonly StoredCredential[],
): Promise<StoredCredential> {
  if (flags.account !== undefined || credentials.length === 1) {
    return selectOneCredential(credentials, flags.account);
  }
  return answered(
    await select({
      message: say(backupMessages.wizardWhichAccount),
      options: credentials.map((credential) => ({
        value: credential,
        label: escapeForTerminal(describeCredential(credential)),
      })),
    }),
  );
}

async function chooseUsb(flags: BackupFlags): Promise<PlannedDestination> {
  if (flags.usb !== undefined) return usbFromPath(flags.usb);
  const looking = spinner();
  looking.start(say(backupMessages.wizardLookingForUsb));
  let drives: Awaited<ReturnType<typeof mountedDrives>> = [];
  try {
    drives = await mountedDrives();
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    log.warn(escapeForTerminal(error.message));
  } finally {
    looking.clear();
  }
  const typed = 'typed';
  const choice = answered(
    await select<string>({
      message: say(drives.length > 0 ? backupMessages.wizardWhichUsb : backupMessages.wizardNoUsb),
      options: [
        ...drives.map((drive) => ({
          value: drive.mountPoint ?? '',
          label: escapeForTerminal(
            drive.label ? `${drive.label} (${drive.mountPoint ?? ''})` : (drive.mountPoint ?? ''),
          ),
          hint: drive.device,
        })),
        { value: typed, label: say(backupMessages.wizardTypeMountFolder) },
      ],
    }),
  );
  if (choice !== typed) {
    const drive = drives.find((candidate) => candidate.mountPoint === choice);
    return { kind: 'usb', mountPoint: choice, label: drive?.label ?? null };
  }
  const path = answered(
    await text({
      message: say(backupMessages.wizardUsbFolder),
      placeholder: '/media/you/KEYS',
      validate: (value) => (value?.trim() ? undefined : say(backupMessages.wizardUsbFolderNeeded)),
    }),
  );
  return usbFromPath(path.trim());
}

async function chooseFile(flags: BackupFlags, key: BackupKey): Promise<PlannedDestination> {
  if (flags.file !== undefined) return { kind: 'file', path: flags.file };
  const path = answered(
    await text({
      message: say(backupMessages.wizardFileFolder),
      placeholder: resolve('.'),
      defaultValue: resolve('.'),
    }),
  );
  log.info(say(backupMessages.wizardFileName(key.protectorId)));
  return { kind: 'file', path: path.trim() };
}

async function choosePrint(flags: BackupFlags, key: BackupKey): Promise<PlannedDestination> {
  if (flags.printer !== undefined) return { kind: 'print', printer: flags.printer };
  if (flags.pdf !== undefined) return { kind: 'pdf', path: flags.pdf };
  const how = answered(
    await select({
      message: say(backupMessages.wizardPrintOrSave),
      options: [
        {
          value: 'print',
          label: say(backupMessages.wizardPrintNow),
          hint: say(backupMessages.wizardPrintNowHint),
        },
        { value: 'pdf', label: say(backupMessages.wizardSavePdf) },
      ],
    }),
  );
  if (how === 'print') {
    const printer = answered(
      await text({
        message: say(backupMessages.wizardPrinterName),
        validate: (value) => (value?.trim() ? undefined : say(backupMessages.wizardPrinterNeeded)),
      }),
    );
    return { kind: 'print', printer: printer.trim() };
  }
  const fallback = resolve(`BitLocker recovery key ${shortProtectorId(key.protectorId)}.pdf`);
  const path = answered(
    await text({
      message: say(backupMessages.wizardSaveSheetAs),
      placeholder: fallback,
      defaultValue: fallback,
    }),
  );
  return { kind: 'pdf', path: path.trim() };
}

/**
 * The "Back up your recovery key" flow step by step: which key, where to, the details of each
 * destination, a last look, then the backup with a line per destination.
 */
export async function runBackupWizard(
  flags: BackupFlags,
  settings: { lang: RecoveryFileLanguage; paper: SheetPaper },
): Promise<void> {
  intro(say(backupMessages.wizardTitle));
  const key = await checkedKey(await chooseKey(flags), flags.image, createProgress(flags));
  if (key.verifiedAgainst) {
    log.success(escapeForTerminal(say(backupMessages.wizardKeyOpens(key.verifiedAgainst))));
  }
  const credentials = await readCredentials();
  const destinations = await chooseDestinations(flags, credentials);
  checkDestinationFlags(flags, destinations);
  const planned: PlannedDestination[] = [];
  for (const destination of destinations) {
    if (destination === 'account') {
      planned.push(await accountDestination(flags, await chooseAccount(flags, credentials)));
    } else if (destination === 'usb') {
      planned.push(await chooseUsb(flags));
    } else if (destination === 'file') {
      planned.push(await chooseFile(flags, key));
    } else {
      planned.push(await choosePrint(flags, key));
    }
  }
  note(
    [
      `${say(backupMessages.wizardSummaryKeyId).padEnd(8)} ${key.protectorId}${key.volume ? say(backupMessages.wizardSummaryVolume(key.volume)) : ''}`,
      ...planned.map((destination) => {
        switch (destination.kind) {
          case 'account':
            return `account  ${describeCredential(destination.credential)}${destination.organisation ? `, ${destination.organisation.name}` : ''}`;
          case 'usb':
            return `usb      ${destination.mountPoint}`;
          case 'file':
            return `file     ${destination.path}`;
          case 'print':
            return `print    ${say(backupMessages.wizardSummaryPrinter(destination.printer))}`;
          case 'pdf':
            return `print    PDF ${destination.path}`;
        }
      }),
    ]
      .map(escapeForTerminal)
      .join('\n'),
    say(backupMessages.wizardAboutTo),
  );
  if (
    !answered(await confirm({ message: say(backupMessages.wizardGoAhead), initialValue: true }))
  ) {
    cancel(say(backupMessages.wizardNothingBackedUp));
    process.exitCode = ExitCode.negative;
    return;
  }
  const device = deviceNameOf(flags.deviceName, key);
  const protectedVolume = protectedVolumeOf(key);
  await performBackup(
    planned,
    { key, ...device, ...settings, ...(protectedVolume ? { protectedVolume } : {}) },
    flags,
  );
  outro(say(backupMessages.wizardDone));
}
