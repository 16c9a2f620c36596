import { BitLockerFormatError } from '../../bitlocker/errors.js';
import {
  parseManageBdeAddedRecoveryPassword,
  parseManageBdeProtectors,
  parseManageBdeStatus,
} from '../../bitlocker/manage-bde.js';
import {
  addedRecoveryPasswordProtectorId,
  parseBitLockerVolumeJson,
} from '../../bitlocker/powershell.js';
import type { ProtectorType } from '../../bitlocker/protector-id.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { CommandFailedError, type CommandRunner } from '../backup/windows-volumes.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';

/**
 * BitLocker volumes of this Windows computer as the agent needs them: every OS and fixed drive
 * with its volume GUID and all its protectors, and the two changes the agent makes (add a
 * recovery password protector with a password it chose, remove one protector by ID). Reading
 * prefers PowerShell's Get-BitLockerVolume as JSON and falls back to manage-bde (any display
 * language); the parsing is pure (src/bitlocker and the functions below) and the commands run
 * through a CommandRunner, so the real tools and the tests' stand-ins are interchangeable.
 */

export interface AgentProtector {
  id: string;
  type: ProtectorType;
  recoveryPassword?: string;
}

export interface AgentVolume {
  mountPoint: string;
  volumeGuid: string | null;
  type: 'os' | 'fixed';
  protectors: AgentProtector[];
}

export interface VolumeTool {
  list(): Promise<AgentVolume[]>;
  /** Adds a recovery password protector holding this password; answers its ID. */
  addRecoveryPassword(mountPoint: string, recoveryPassword: string): Promise<string>;
  removeProtector(mountPoint: string, protectorId: string): Promise<void>;
}

export class VolumeToolError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'VolumeToolError';
  }
}

// UTF-8 so labels in any language survive; each volume carries its GUID path from Win32_Volume.
const listScript =
  '[Console]::OutputEncoding = [Text.Encoding]::UTF8; ' +
  '$guids = @{}; Get-CimInstance Win32_Volume | ForEach-Object { if ($_.DriveLetter) { $guids[$_.DriveLetter] = $_.DeviceID } }; ' +
  'Get-BitLockerVolume | ForEach-Object { $_ | Add-Member -NotePropertyName VolumeGuid -NotePropertyValue $guids[$_.MountPoint] -PassThru } | ConvertTo-Json -Depth 4';

/** A PowerShell single-quoted string: nothing inside is expanded. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function addScript(mountPoint: string, recoveryPassword: string): string {
  // The warning repeating the password goes nowhere: the answer is the volume as JSON.
  return (
    '[Console]::OutputEncoding = [Text.Encoding]::UTF8; ' +
    `Add-BitLockerKeyProtector -MountPoint ${quoted(mountPoint)} -RecoveryPasswordProtector ` +
    `-RecoveryPassword ${quoted(recoveryPassword)} -WarningAction SilentlyContinue | ConvertTo-Json -Depth 4`
  );
}

/** `\\?\Volume{GUID}\` as Windows prints it, or null when the text holds none. */
export function volumeGuidPath(text: string | undefined): string | null {
  const match = /\\\\\?\\Volume\{[0-9A-Fa-f-]{36}\}\\/.exec(text ?? '');
  return match ? match[0] : null;
}

/** The volume GUID paths of the PowerShell answer, by mount point. */
function guidsByMountPoint(json: string): Map<string, string | null> {
  const parsed: unknown = JSON.parse(json);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const guids = new Map<string, string | null>();
  for (const item of list as Record<string, unknown>[]) {
    const mountPoint = item.MountPoint;
    if (typeof mountPoint === 'string') {
      guids.set(
        mountPoint,
        volumeGuidPath(typeof item.VolumeGuid === 'string' ? item.VolumeGuid : undefined),
      );
    }
  }
  return guids;
}

/** The agent's volumes from the list script's output (Get-BitLockerVolume with VolumeGuid). */
export function volumesFromPowerShell(json: string): AgentVolume[] {
  const guids = guidsByMountPoint(json);
  return parseBitLockerVolumeJson(json).flatMap((volume) => {
    if (!volume.mountPoint) return [];
    return [
      {
        mountPoint: volume.mountPoint,
        volumeGuid: guids.get(volume.mountPoint) ?? null,
        type: volume.volumeType === 'OperatingSystem' ? ('os' as const) : ('fixed' as const),
        protectors: volume.keyProtectors.map((protector) => ({
          id: protector.id,
          type: protector.type,
          ...(protector.recoveryPassword ? { recoveryPassword: protector.recoveryPassword } : {}),
        })),
      },
    ];
  });
}

/**
 * The agent's volumes from manage-bde: `-status` names the volumes and which one holds Windows,
 * `-protectors -get` (one output per volume) their protectors, `mountvol X: /L` their GUID paths.
 */
export function volumesFromManageBde(
  statusOutput: string,
  protectorOutputs: ReadonlyMap<string, string>,
  guidOutputs: ReadonlyMap<string, string>,
  systemDrive: string | undefined,
): AgentVolume[] {
  return parseManageBdeStatus(statusOutput).flatMap((status) => {
    const output = protectorOutputs.get(status.mountPoint);
    if (output === undefined) return [];
    const protectors = parseManageBdeProtectors(output).flatMap((volume) => volume.protectors);
    const isOs = systemDrive
      ? status.mountPoint.toUpperCase() === systemDrive.toUpperCase()
      : /\bOS\b/.test(status.role ?? '');
    return [
      {
        mountPoint: status.mountPoint,
        volumeGuid: volumeGuidPath(guidOutputs.get(status.mountPoint)),
        type: isOs ? ('os' as const) : ('fixed' as const),
        protectors: protectors.map((protector) => ({
          id: protector.id,
          type: protector.type,
          ...(protector.recoveryPassword ? { recoveryPassword: protector.recoveryPassword } : {}),
        })),
      },
    ];
  });
}

function failure(error: unknown): VolumeToolError {
  if (error instanceof CommandFailedError) {
    return new VolumeToolError(
      error.notFound
        ? say(agentMessages.toolNotFound(error.command))
        : `${error.command}: ${error.output.split('\n')[0] ?? ''}`,
    );
  }
  if (error instanceof BitLockerFormatError) return new VolumeToolError(say(error.wording));
  return error instanceof Error
    ? new VolumeToolError(error.message)
    : new VolumeToolError(String(error));
}

export function windowsVolumeTool(
  run: CommandRunner,
  env: NodeJS.ProcessEnv = process.env,
): VolumeTool {
  const text = async (command: string, args: string[]) => decodeText(await run(command, args)).text;

  async function throughManageBde(): Promise<AgentVolume[]> {
    const status = await text('manage-bde.exe', ['-status']);
    const protectorOutputs = new Map<string, string>();
    const guidOutputs = new Map<string, string>();
    for (const volume of parseManageBdeStatus(status)) {
      try {
        protectorOutputs.set(
          volume.mountPoint,
          await text('manage-bde.exe', ['-protectors', '-get', volume.mountPoint]),
        );
      } catch (error) {
        // A volume that is not encrypted has no protectors; manage-bde exits non-zero for it.
        if (!(error instanceof CommandFailedError)) throw error;
        continue;
      }
      try {
        guidOutputs.set(volume.mountPoint, await text('mountvol.exe', [volume.mountPoint, '/L']));
      } catch (error) {
        if (!(error instanceof CommandFailedError)) throw error;
      }
    }
    return volumesFromManageBde(status, protectorOutputs, guidOutputs, env.SystemDrive);
  }

  let listedThroughPowerShell = false;

  return {
    async list() {
      try {
        const volumes = volumesFromPowerShell(
          await text('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', listScript]),
        );
        listedThroughPowerShell = true;
        return volumes;
      } catch (error) {
        if (!(error instanceof CommandFailedError) && !(error instanceof BitLockerFormatError)) {
          if (!(error instanceof SyntaxError)) throw error;
        }
      }
      listedThroughPowerShell = false;
      try {
        return await throughManageBde();
      } catch (error) {
        throw failure(error);
      }
    },
    async addRecoveryPassword(mountPoint, recoveryPassword) {
      try {
        // The tool that listed the volumes makes the change, so one that failed never leaves a
        // half-done add for the other to repeat.
        if (listedThroughPowerShell) {
          return addedRecoveryPasswordProtectorId(
            await text('powershell.exe', [
              '-NoProfile',
              '-NonInteractive',
              '-Command',
              addScript(mountPoint, recoveryPassword),
            ]),
            recoveryPassword,
          );
        }
        const added = parseManageBdeAddedRecoveryPassword(
          await text('manage-bde.exe', [
            '-protectors',
            '-add',
            mountPoint,
            '-RecoveryPassword',
            recoveryPassword,
          ]),
        );
        return added.id;
      } catch (error) {
        throw failure(error);
      }
    },
    async removeProtector(mountPoint, protectorId) {
      try {
        await run('manage-bde.exe', [
          '-protectors',
          '-delete',
          mountPoint,
          '-id',
          `{${protectorId}}`,
        ]);
      } catch (error) {
        throw failure(error);
      }
    },
  };
}
