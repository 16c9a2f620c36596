import { dirname, resolve } from 'node:path';
import { BackupError, type BackupErrorCode } from '../../backup/errors.js';
import { saveRecoveryFile } from '../../backup/file-destination.js';
import { printPdf } from '../../backup/printer.js';
import { writeFileAtomically } from '../../files/atomic-file.js';
import { renderRecoverySheet, type SheetPaper } from '../../backup/recovery-sheet.js';
import { saveToUsbDrive } from '../../backup/usb-destination.js';
import { writeRecoveryKeyFile, type RecoveryFileLanguage } from '../../bitlocker/recovery-file.js';
import { ApiError } from '../account/api-client.js';
import type { StoredCredential } from '../account/credentials.js';
import { AccountKeys, detailWords, type BackupDestination } from '../account/key-library.js';
import type { OrganisationTarget } from '../account/organisation-library.js';
import type { Wording } from '../../text/wording.js';
import { CliError, ExitCode } from '../output.js';
import type { BackupKey } from './backup-key.js';
import { backupMessages } from './messages.js';

export const destinationNames = ['account', 'usb', 'file', 'print'] as const;
export type DestinationName = (typeof destinationNames)[number];

/** A destination with everything it needs decided, so running it asks nothing. */
export type PlannedDestination =
  | { kind: 'account'; credential: StoredCredential; organisation?: OrganisationTarget }
  | { kind: 'usb'; mountPoint: string; label?: string | null }
  | { kind: 'file'; path: string }
  | { kind: 'print'; printer: string }
  | { kind: 'pdf'; path: string };

export interface BackupSettings {
  key: BackupKey;
  /** The computer the drive belongs to, as the sheet shows it. */
  deviceName: string;
  /**
   * True when nobody said which computer it is (no --device-name, nothing in the source) and
   * `deviceName` is this computer's name: good for a new key, never to replace a stored one.
   */
  deviceNameGuessed: boolean;
  lang: RecoveryFileLanguage;
  paper: SheetPaper;
  /**
   * The mount point of the volume the key unlocks, when it is on this computer (Windows): no
   * file or drive on it is accepted.
   */
  protectedVolume?: string;
}

/** What happened at one destination, as shown on its own line and in --json. */
export interface DestinationResult {
  destination: DestinationName;
  /** What the account records it as, when that differs (a saved PDF is a file until printed). */
  recordAs?: BackupDestination;
  ok: boolean;
  /** One line for people: where it went, or why it did not (--json gives the English). */
  message: Wording;
  path?: string;
  printer?: string;
  /** Set for the account destination: the key's record id in the library. */
  keyRecordId?: string;
  server?: string;
  error?: { code: string; message: string };
  /** How serious a failure is: the exit status it calls for. */
  exitCode: number;
}

/** Failures caused by what the person asked for (exit 2); the rest are the world failing (3). */
const inputErrors = new Set<BackupErrorCode>([
  'different-key',
  'not-a-recovery-file',
  'protected-volume',
  'no-such-folder',
  'invalid-input',
]);

export function destinationOf(planned: PlannedDestination): DestinationName {
  return planned.kind === 'pdf' ? 'print' : planned.kind;
}

/** Text that exists in one wording only: another layer's message, or a server's answer. */
function asIs(text: string): Wording {
  return { en: text, nb: text };
}

function failed(destination: DestinationName, error: unknown): DestinationResult {
  if (error instanceof BackupError) {
    return {
      destination,
      ok: false,
      message: error.wording,
      error: { code: error.code, message: error.message },
      exitCode: inputErrors.has(error.code) ? ExitCode.unusable : ExitCode.environment,
    };
  }
  if (error instanceof CliError) {
    return {
      destination,
      ok: false,
      message: asIs(error.message),
      error: { code: 'failed', message: error.message },
      exitCode: error.exitCode,
    };
  }
  if (error instanceof ApiError) {
    return {
      destination,
      ok: false,
      message: asIs(error.message),
      error: { code: error.code, message: error.message },
      exitCode: ExitCode.environment,
    };
  }
  throw error;
}

/**
 * Saves the sheet as a new file in one step (see writeFileAtomically); an existing file is never
 * replaced. A PDF cannot be compared with an existing one (each holds
 * its creation time), so any existing file is left alone and reported.
 */
async function savePdf(path: string, pdf: Buffer): Promise<string> {
  const target = resolve(path);
  try {
    await writeFileAtomically(target, pdf);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new BackupError('no-such-folder', backupMessages.pdfFolderMissing(dirname(target)));
    }
    if (code === 'EEXIST') {
      throw new BackupError('invalid-input', backupMessages.pdfExists(target));
    }
    throw new BackupError(
      'write-failed',
      backupMessages.pdfNotWritten(target, (error as Error).message),
    );
  }
  return target;
}

function sheet(settings: BackupSettings): Promise<Buffer> {
  return renderRecoverySheet({
    protectorId: settings.key.protectorId,
    recoveryPassword: settings.key.recoveryPassword,
    deviceName: settings.deviceName,
    ...(settings.key.volume ? { volumeLabel: settings.key.volume } : {}),
    ...(settings.key.volumeType ? { volumeType: settings.key.volumeType } : {}),
    createdAt: new Date(),
    lang: settings.lang,
    paper: settings.paper,
  });
}

async function runOne(
  planned: PlannedDestination,
  settings: BackupSettings,
): Promise<DestinationResult> {
  const { key } = settings;
  const file = writeRecoveryKeyFile({
    protectorId: key.protectorId,
    recoveryPassword: key.recoveryPassword,
    language: settings.lang,
  });
  const protectedVolume = settings.protectedVolume;
  switch (planned.kind) {
    case 'account': {
      const { credential, organisation } = planned;
      // Only details someone gave are sent as such; a stored key keeps the rest.
      const uploaded = await new AccountKeys(credential, organisation).upload({
        protectorId: key.protectorId,
        recoveryPassword: key.recoveryPassword,
        ...(settings.deviceNameGuessed
          ? { defaults: { deviceName: settings.deviceName } }
          : { deviceName: settings.deviceName }),
        volume: {
          ...(key.volume ? { label: key.volume } : {}),
          ...(key.volumeType ? { type: key.volumeType } : {}),
          ...(key.volumeGuid ? { volumeGuid: key.volumeGuid } : {}),
        },
      });
      const where = organisation
        ? backupMessages.inLibraryOf(organisation.name, credential.server, credential.email)
        : backupMessages.inAccount(credential.email, credential.server);
      const changed = uploaded.updated.map((field) => detailWords[field]);
      return {
        destination: 'account',
        ok: true,
        message: uploaded.created
          ? backupMessages.savedIn(where)
          : changed.length > 0
            ? backupMessages.alreadyInUpdated(where, changed.join(', '))
            : backupMessages.alreadyInKept(where),
        keyRecordId: uploaded.key.id,
        server: credential.server,
        exitCode: ExitCode.ok,
      };
    }
    case 'usb': {
      const saved = await saveToUsbDrive({
        mountPoint: planned.mountPoint,
        ...file,
        lang: settings.lang,
        ...(protectedVolume ? { protectedVolume } : {}),
      });
      return {
        destination: 'usb',
        ok: true,
        message:
          saved.outcome === 'written'
            ? backupMessages.usbWritten(saved.path, saved.reminder)
            : backupMessages.usbAlreadyHolds(saved.path, saved.reminder),
        path: saved.path,
        exitCode: ExitCode.ok,
      };
    }
    case 'file': {
      const saved = await saveRecoveryFile({
        destination: planned.path,
        ...file,
        ...(protectedVolume ? { protectedVolume } : {}),
      });
      return {
        destination: 'file',
        ok: true,
        message:
          saved.outcome === 'written'
            ? backupMessages.fileWritten(saved.path)
            : backupMessages.fileAlreadyHolds(saved.path),
        path: saved.path,
        exitCode: ExitCode.ok,
      };
    }
    case 'print': {
      const job = await printPdf(await sheet(settings), { printer: planned.printer });
      return {
        destination: 'print',
        ok: true,
        message: backupMessages.printed(planned.printer, job.jobId),
        printer: planned.printer,
        exitCode: ExitCode.ok,
      };
    }
    case 'pdf': {
      const path = await savePdf(planned.path, await sheet(settings));
      return {
        destination: 'print',
        // Not paper yet: a PDF on a disk is a file until someone prints it.
        recordAs: 'file',
        ok: true,
        message: backupMessages.pdfSaved(path),
        path,
        exitCode: ExitCode.ok,
      };
    }
  }
}

/** Runs every destination, each on its own; one failing never stops the others. */
export async function runDestinations(
  planned: readonly PlannedDestination[],
  settings: BackupSettings,
  onResult: (result: DestinationResult) => void,
): Promise<DestinationResult[]> {
  const results: DestinationResult[] = [];
  for (const destination of planned) {
    let result: DestinationResult;
    try {
      result = await runOne(destination, settings);
    } catch (error) {
      result = failed(destinationOf(destination), error);
    }
    results.push(result);
    onResult(result);
  }
  return results;
}
