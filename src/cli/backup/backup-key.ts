import { hostname } from 'node:os';
import { BitLockerFormatError } from '../../bitlocker/errors.js';
import { bufferSource, readKeySource } from '../../bitlocker/key-sources.js';
import {
  matchesKeyIdPrefix,
  normalizeKeyIdPrefix,
  parseProtectorId,
  ProtectorIdError,
  shortProtectorId,
} from '../../bitlocker/protector-id.js';
import {
  describeRecoveryPasswordErrors,
  parseRecoveryPassword,
} from '../../bitlocker/recovery-password.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { say } from '../../text/terminal-language.js';
import { withInputFile } from '../input-file.js';
import { CliError, escapeForTerminal, ExitCode } from '../output.js';
import { readStdin, stdinLimits } from '../stdin.js';
import { backupMessages } from './messages.js';

export type VolumeType = 'os' | 'fixed' | 'removable';

/** One recovery key to back up, with what is known about the drive it unlocks. */
export interface BackupKey {
  /** Canonical: upper case with dashes. */
  protectorId: string;
  /** Normalized: eight dashed blocks. */
  recoveryPassword: string;
  /** The volume it protects as Windows names it (`C:`), when the source says. */
  volume?: string;
  volumeType?: VolumeType;
  /** The computer the drive belongs to, when the source says (Get-BitLockerVolume does). */
  deviceName?: string;
  /** Set once the key was shown to open this volume (--image): its BitLocker volume GUID. */
  volumeGuid?: string;
  /** The image or device the key was shown to open. */
  verifiedAgainst?: string;
  /** Where the key came from, for messages: a file path, "typed in", "this computer". */
  source: string;
}

/** What a key is called in messages (escaped for the terminal): never its recovery password. */
export function describeKey(key: BackupKey): string {
  const volume = key.volume
    ? say(backupMessages.volumeInParentheses(escapeForTerminal(key.volume)))
    : '';
  return `${key.protectorId}${volume}`;
}

/**
 * The computer a key belongs to: --device-name, else what the source says, else this computer's
 * name, which is only a guess (the key may come from a file of another PC) and is marked so.
 */
export function deviceNameOf(
  given: string | undefined,
  key: BackupKey,
): { deviceName: string; deviceNameGuessed: boolean } {
  const named = given ?? key.deviceName;
  return named === undefined
    ? { deviceName: hostname(), deviceNameGuessed: true }
    : { deviceName: named, deviceNameGuessed: false };
}

/** Every recovery password in a file `keyhold read` understands ("-" reads standard input). */
export async function keysFromFile(path: string): Promise<BackupKey[]> {
  let found;
  try {
    found =
      path === '-'
        ? await readKeySource(bufferSource('standard input', await readStdin(stdinLimits.file)))
        : await withInputFile(
            path,
            {
              flag: '--from',
              pipeHint: backupMessages.fromPipeHint,
            },
            readKeySource,
          );
  } catch (error) {
    if (error instanceof BitLockerFormatError) {
      throw new CliError(`--from ${path}: ${say(error.wording)}`, ExitCode.negative);
    }
    throw error;
  }
  const keys = found.flatMap((key) =>
    key.type === 'recovery-password' && key.recoveryPassword
      ? [
          {
            protectorId: key.protectorId,
            recoveryPassword: key.recoveryPassword,
            ...(key.volume ? { volume: key.volume } : {}),
            source: key.source,
          },
        ]
      : [],
  );
  if (keys.length === 0) {
    const kinds = [...new Set(found.map((key) => key.type))].join(', ');
    throw new CliError(say(backupMessages.noRecoveryPassword(path, kinds)), ExitCode.negative);
  }
  return keys;
}

/** A recovery password typed as --password ("-" reads standard input), normalized. */
export async function typedRecoveryPassword(password: string): Promise<string> {
  const typed = password === '-' ? decodeText(await readStdin(stdinLimits.secret)).text : password;
  const parsed = parseRecoveryPassword(typed);
  if (!parsed.valid) {
    throw new CliError(
      say(backupMessages.badPassword(describeRecoveryPasswordErrors(parsed.errors))),
    );
  }
  return parsed.normalized;
}

/** A key typed in with --id and --password. */
export async function keyFromTyped(id: string, password: string): Promise<BackupKey> {
  let protectorId: string;
  try {
    protectorId = parseProtectorId(id);
  } catch (error) {
    if (error instanceof ProtectorIdError) throw new CliError(`--id: ${say(error.wording)}`);
    throw error;
  }
  return {
    protectorId,
    recoveryPassword: await typedRecoveryPassword(password),
    source: 'typed in',
  };
}

export interface KeyFilter {
  /** A Key ID or its start (the 8 characters the recovery screen shows are enough). */
  id?: string;
  /** `C:`, case-insensitive. */
  volume?: string;
}

/** The keys matching --id (a prefix) and --volume; refuses an unusable prefix. */
export function filterKeys(keys: readonly BackupKey[], filter: KeyFilter): BackupKey[] {
  let prefix: string | undefined;
  if (filter.id !== undefined) {
    try {
      prefix = normalizeKeyIdPrefix(filter.id);
    } catch (error) {
      if (error instanceof ProtectorIdError) throw new CliError(`--id: ${say(error.wording)}`);
      throw error;
    }
  }
  const volume = filter.volume?.replace(/\\$/, '').toUpperCase();
  const unique = new Map<string, BackupKey>();
  for (const key of keys) {
    if (prefix !== undefined && !matchesKeyIdPrefix(key.protectorId, prefix)) continue;
    if (volume !== undefined && key.volume?.replace(/\\$/, '').toUpperCase() !== volume) continue;
    // The same key listed twice (two runs of manage-bde in one file) is one key.
    if (!unique.has(key.protectorId)) unique.set(key.protectorId, key);
  }
  return [...unique.values()];
}

/** One line per key for lists: short ID emphasised by position, volume and origin. */
export function keyChoiceLabel(key: BackupKey): string {
  const parts = [`${shortProtectorId(key.protectorId)} (${key.protectorId})`];
  if (key.volume) parts.push(say(backupMessages.volume(escapeForTerminal(key.volume))));
  return parts.join('  ');
}
