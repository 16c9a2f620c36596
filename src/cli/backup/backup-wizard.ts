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
import { createProgress } from './progress.js';
import { mountedDrives, usbFromPath } from './usb-choice.js';

/** Leaves quietly (exit 1, nothing written) when the person presses Ctrl+C or Esc. */
function answered<T>(value: T): Exclude<T, symbol> {
  if (isCancel(value)) {
    cancel('Nothing was backed up.');
    throw new CliError('Cancelled.', ExitCode.negative);
  }
  return value as Exclude<T, symbol>;
}

async function askForKeyFile(): Promise<BackupKey[]> {
  for (;;) {
    const path = answered(
      await text({
        message: 'Where is the key? (a recovery key .TXT, manage-bde or PowerShell output)',
        placeholder: 'BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT',
        validate: (value) => (value?.trim() ? undefined : 'Type the path of the file.'),
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
      message: 'Key ID (the identifier shown with the recovery key)',
      placeholder: '64311DEA-4587-4029-924A-BA299647998E',
      validate: (value) => {
        try {
          parseProtectorId(value ?? '');
          return undefined;
        } catch (error) {
          if (error instanceof ProtectorIdError) return error.message;
          throw error;
        }
      },
    }),
  );
  const password = answered(
    await text({
      message: 'Recovery key (48 digits; dashes or spaces are fine)',
      validate: (value) => {
        const parsed = parseRecoveryPassword(value ?? '');
        return parsed.valid ? undefined : describeRecoveryPasswordErrors(parsed.errors);
      },
    }),
  );
  return keyFromTyped(id, password);
}

async function chooseKey(flags: BackupFlags): Promise<BackupKey> {
  let candidates: BackupKey[] | undefined;
  if (flags.from !== undefined || flags.password !== undefined || process.platform === 'win32') {
    const reading = spinner();
    reading.start('Reading the keys');
    try {
      candidates = await candidateKeys(flags);
    } finally {
      reading.clear();
    }
  }
  if (!candidates || candidates.length === 0) {
    if (candidates) log.warn('No recovery key was found on this computer.');
    const how = answered(
      await select({
        message: 'Which key do you want to back up?',
        options: [
          {
            value: 'file',
            label: 'From a file',
            hint: 'recovery key .TXT, manage-bde or PowerShell output',
          },
          { value: 'type', label: 'Type it in', hint: 'Key ID and the 48 digits' },
        ],
      }),
    );
    candidates = how === 'file' ? await askForKeyFile() : [await askToTypeKey()];
  }
  const picked = pickKey(candidates, flags);
  if (!Array.isArray(picked)) return picked;
  return answered(
    await select({
      message: 'Which key do you want to back up?',
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
      message: 'Where do you want to back it up? (space to choose, enter to go on)',
      options: [
        {
          value: 'account',
          label: 'Your Keyhold account',
          hint: loggedIn
            ? credentials.map(describeCredential).join(', ')
            : 'log in first: keyhold login <server>',
          disabled: !loggedIn,
        },
        { value: 'usb', label: 'A USB drive', hint: 'keep it away from the computer' },
        { value: 'file', label: 'A file', hint: 'never on the drive this key unlocks' },
        { value: 'print', label: 'Print the recovery key', hint: 'or save the sheet as PDF' },
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
      message: 'Which account?',
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
  looking.start('Looking for USB drives');
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
      message:
        drives.length > 0
          ? 'Which USB drive?'
          : 'No USB drive found. Plug one in, or type its folder:',
      options: [
        ...drives.map((drive) => ({
          value: drive.mountPoint ?? '',
          label: escapeForTerminal(
            drive.label ? `${drive.label} (${drive.mountPoint ?? ''})` : (drive.mountPoint ?? ''),
          ),
          hint: drive.device,
        })),
        { value: typed, label: 'Type the folder where it is mounted' },
      ],
    }),
  );
  if (choice !== typed) {
    const drive = drives.find((candidate) => candidate.mountPoint === choice);
    return { kind: 'usb', mountPoint: choice, label: drive?.label ?? null };
  }
  const path = answered(
    await text({
      message: 'Folder of the USB drive',
      placeholder: '/media/you/KEYS',
      validate: (value) =>
        value?.trim() ? undefined : 'Type the folder where the drive is mounted.',
    }),
  );
  return usbFromPath(path.trim());
}

async function chooseFile(flags: BackupFlags, key: BackupKey): Promise<PlannedDestination> {
  if (flags.file !== undefined) return { kind: 'file', path: flags.file };
  const path = answered(
    await text({
      message: 'Folder or file to save the recovery key file in (not on the drive it unlocks)',
      placeholder: resolve('.'),
      defaultValue: resolve('.'),
    }),
  );
  log.info(`The file will be named "BitLocker Recovery Key ${key.protectorId}.TXT" in a folder.`);
  return { kind: 'file', path: path.trim() };
}

async function choosePrint(flags: BackupFlags, key: BackupKey): Promise<PlannedDestination> {
  if (flags.printer !== undefined) return { kind: 'print', printer: flags.printer };
  if (flags.pdf !== undefined) return { kind: 'pdf', path: flags.pdf };
  const how = answered(
    await select({
      message: 'Print now or save the sheet?',
      options: [
        { value: 'print', label: 'Print now', hint: 'on a CUPS printer' },
        { value: 'pdf', label: 'Save the printable sheet as PDF' },
      ],
    }),
  );
  if (how === 'print') {
    const printer = answered(
      await text({
        message: 'Printer name (lpstat -e lists them)',
        validate: (value) => (value?.trim() ? undefined : 'Type the printer name.'),
      }),
    );
    return { kind: 'print', printer: printer.trim() };
  }
  const fallback = resolve(`BitLocker recovery key ${shortProtectorId(key.protectorId)}.pdf`);
  const path = answered(
    await text({ message: 'Save the sheet as', placeholder: fallback, defaultValue: fallback }),
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
  intro('Back up your BitLocker recovery key');
  const key = await checkedKey(await chooseKey(flags), flags.image, createProgress(flags));
  if (key.verifiedAgainst) {
    log.success(escapeForTerminal(`The key opens the volume in ${key.verifiedAgainst}.`));
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
      `Key ID   ${key.protectorId}${key.volume ? `  (volume ${key.volume})` : ''}`,
      ...planned.map((destination) => {
        switch (destination.kind) {
          case 'account':
            return `account  ${describeCredential(destination.credential)}${destination.organisation ? `, ${destination.organisation.name}` : ''}`;
          case 'usb':
            return `usb      ${destination.mountPoint}`;
          case 'file':
            return `file     ${destination.path}`;
          case 'print':
            return `print    printer ${destination.printer}`;
          case 'pdf':
            return `print    PDF ${destination.path}`;
        }
      }),
    ]
      .map(escapeForTerminal)
      .join('\n'),
    'About to back up',
  );
  if (!answered(await confirm({ message: 'Go ahead?', initialValue: true }))) {
    cancel('Nothing was backed up.');
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
  outro('Done. Keep each copy away from the computer it unlocks.');
}
