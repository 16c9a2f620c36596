import { execFile } from 'node:child_process';
import { BitLockerFormatError } from '../../bitlocker/errors.js';
import { parseManageBdeProtectors, parseManageBdeStatus } from '../../bitlocker/manage-bde.js';
import { parseBitLockerVolumeJson } from '../../bitlocker/powershell.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import type { BackupKey, VolumeType } from './backup-key.js';
import { backupMessages } from './messages.js';

/** Runs a Windows tool and returns its raw standard output (tests pass recorded output). */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<Buffer>;

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly notFound: boolean,
    readonly output: string,
  ) {
    super(`${command} failed`);
    this.name = 'CommandFailedError';
  }
}

const commandTimeoutMs = 60_000;

export const runWindowsCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { encoding: 'buffer', timeout: commandTimeoutMs, windowsHide: true, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const output = decodeText(Buffer.concat([stdout, stderr])).text.trim();
        reject(
          new CommandFailedError(
            command,
            (error as NodeJS.ErrnoException).code === 'ENOENT',
            output,
          ),
        );
      },
    );
  });

// UTF-8 so volume labels in any language survive; -Depth 4 so KeyProtector is not cut short.
const getBitLockerVolumeScript =
  '[Console]::OutputEncoding = [Text.Encoding]::UTF8; ' +
  'Get-BitLockerVolume | ConvertTo-Json -Depth 4';

/** PowerShell 5.1 shows VolumeType as a number, 7 as a name; both mean the same two kinds. */
function volumeTypeOf(name: string | undefined): VolumeType | undefined {
  if (name === 'OperatingSystem') return 'os';
  if (name === 'Data') return 'fixed';
  return undefined;
}

/** Recovery passwords of the local volumes from `Get-BitLockerVolume | ConvertTo-Json` output. */
export function keysFromGetBitLockerVolume(output: string, source: string): BackupKey[] {
  return parseBitLockerVolumeJson(output).flatMap((volume) =>
    volume.keyProtectors.flatMap((protector) => {
      if (protector.type !== 'recovery-password' || !protector.recoveryPassword) return [];
      const volumeType = volumeTypeOf(volume.volumeType);
      return [
        {
          protectorId: protector.id,
          recoveryPassword: protector.recoveryPassword,
          ...(volume.mountPoint ? { volume: volume.mountPoint } : {}),
          ...(volumeType ? { volumeType } : {}),
          ...(volume.computerName ? { deviceName: volume.computerName } : {}),
          source,
        },
      ];
    }),
  );
}

/**
 * Recovery passwords from `manage-bde -protectors -get` output. Which volume holds Windows comes
 * from `manage-bde -status` (see operatingSystemVolumes); the rest are fixed data drives.
 */
export function keysFromManageBde(
  output: string,
  operatingSystemVolumes: ReadonlySet<string>,
  source: string,
): BackupKey[] {
  return parseManageBdeProtectors(output).flatMap((volume) =>
    volume.protectors.flatMap((protector) => {
      if (protector.type !== 'recovery-password' || !protector.recoveryPassword) return [];
      const mountPoint = volume.mountPoint;
      return [
        {
          protectorId: protector.id,
          recoveryPassword: protector.recoveryPassword,
          ...(mountPoint
            ? {
                volume: mountPoint,
                volumeType: operatingSystemVolumes.has(mountPoint)
                  ? ('os' as const)
                  : ('fixed' as const),
              }
            : {}),
          source,
        },
      ];
    }),
  );
}

function needsAdministrator(output: string): boolean {
  return /access is denied|administrator|0x80041003|0x80070005|zugriff verweigert|tilgang nektet/i.test(
    output,
  );
}

function administratorError(): CliError {
  return new CliError(say(backupMessages.needsAdministrator), ExitCode.environment);
}

/**
 * The volumes holding Windows: the system drive when Windows says which it is, else those whose
 * `manage-bde -status` role line says "OS Volume" (the English wording).
 */
function operatingSystemVolumes(statusOutput: string): Set<string> {
  const systemDrive = process.env.SystemDrive?.toUpperCase();
  return new Set(
    parseManageBdeStatus(statusOutput)
      .filter((volume) =>
        systemDrive
          ? volume.mountPoint.toUpperCase() === systemDrive
          : /\bOS\b/.test(volume.role ?? ''),
      )
      .map((volume) => volume.mountPoint),
  );
}

/**
 * Every recovery password protecting a volume of this Windows computer: from PowerShell's
 * Get-BitLockerVolume, or from manage-bde where the BitLocker PowerShell module is missing
 * (Windows Server without the feature's tools, some Home editions).
 */
export async function readLocalVolumeKeys(run: CommandRunner): Promise<BackupKey[]> {
  try {
    const output = await run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      getBitLockerVolumeScript,
    ]);
    return keysFromGetBitLockerVolume(
      decodeText(output).text,
      'this computer (Get-BitLockerVolume)',
    );
  } catch (error) {
    if (error instanceof CommandFailedError && needsAdministrator(error.output)) {
      throw administratorError();
    }
    if (!(error instanceof CommandFailedError) && !(error instanceof BitLockerFormatError)) {
      throw error;
    }
  }
  try {
    const status = decodeText(await run('manage-bde.exe', ['-status'])).text;
    const mountPoints = parseManageBdeStatus(status).map((volume) => volume.mountPoint);
    const protectorOutputs: string[] = [];
    for (const mountPoint of mountPoints) {
      try {
        protectorOutputs.push(
          decodeText(await run('manage-bde.exe', ['-protectors', '-get', mountPoint])).text,
        );
      } catch (error) {
        // A volume that is not encrypted has no protectors; manage-bde exits non-zero for it.
        if (!(error instanceof CommandFailedError) || needsAdministrator(error.output)) throw error;
      }
    }
    if (protectorOutputs.length === 0) return [];
    return keysFromManageBde(
      protectorOutputs.join('\r\n'),
      operatingSystemVolumes(status),
      'this computer (manage-bde)',
    );
  } catch (error) {
    if (error instanceof CommandFailedError) {
      if (needsAdministrator(error.output)) throw administratorError();
      throw new CliError(
        say(
          error.notFound
            ? backupMessages.windowsCommandNotFound(error.command)
            : backupMessages.windowsCommandFailed(error.command, error.output.split('\n')[0] ?? ''),
        ),
        ExitCode.environment,
      );
    }
    if (error instanceof BitLockerFormatError) {
      throw new CliError(
        say(backupMessages.manageBdeUnreadable(error.wording)),
        ExitCode.environment,
      );
    }
    throw error;
  }
}
