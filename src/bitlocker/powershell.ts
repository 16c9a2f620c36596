import type { Wording } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import { bitLockerMessages } from './messages.js';
import { parseProtectorId, type ProtectorType } from './protector-id.js';
import { parseRecoveryPassword } from './recovery-password.js';

/** Thrown for text that is not `Get-BitLockerVolume | ConvertTo-Json` output. */
export class PowerShellJsonError extends BitLockerFormatError {}

export interface PowerShellKeyProtector {
  id: string;
  type: ProtectorType;
  /** The PowerShell enum name, e.g. `RecoveryPassword`, `TpmPin`. */
  typeName: string;
  recoveryPassword?: string;
  keyFileName?: string;
}

export interface PowerShellVolume {
  mountPoint?: string;
  computerName?: string;
  volumeType?: string;
  encryptionMethod?: string;
  volumeStatus?: string;
  protectionStatus?: string;
  lockStatus?: string;
  keyProtectors: PowerShellKeyProtector[];
}

// Windows PowerShell 5.1 writes enums as their numbers; PowerShell 7 with -EnumsAsStrings (and
// hand-made exports) as names. Both are read; the names are what is returned.
const keyProtectorTypeNames = [
  'Unknown',
  'Tpm',
  'ExternalKey',
  'RecoveryPassword',
  'TpmPin',
  'TpmStartupKey',
  'TpmPinStartupKey',
  'PublicKey',
  'Password',
  'TpmNetworkKey',
  'AdAccountOrGroup',
];
const volumeTypeNames = ['OperatingSystem', 'Data'];
const encryptionMethodNames = [
  'None',
  'Aes128Diffuser',
  'Aes256Diffuser',
  'Aes128',
  'Aes256',
  'Hardware',
  'XtsAes128',
  'XtsAes256',
];
const volumeStatusNames = [
  'FullyDecrypted',
  'FullyEncrypted',
  'EncryptionInProgress',
  'DecryptionInProgress',
  'EncryptionSuspended',
  'DecryptionSuspended',
];
const protectionStatusNames = ['Off', 'On', 'Unknown'];
const lockStatusNames = ['Unlocked', 'Locked'];

const protectorTypes: Record<string, ProtectorType> = {
  tpm: 'tpm',
  externalkey: 'external-key',
  recoverypassword: 'recovery-password',
  numericalpassword: 'recovery-password',
  tpmpin: 'tpm-pin',
  tpmstartupkey: 'tpm-startup-key',
  tpmpinstartupkey: 'tpm-pin-startup-key',
  publickey: 'certificate',
  password: 'password',
  tpmnetworkkey: 'tpm-network-key',
  adaccountorgroup: 'ad-account',
};

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Property lookup ignoring case: PowerShell itself is case-insensitive. */
function property(object: JsonObject, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function enumName(value: unknown, names: readonly string[]): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return names[value] ?? String(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return names[Number(trimmed)] ?? trimmed;
    return names.find((name) => name.toLowerCase() === trimmed.toLowerCase()) ?? trimmed;
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  // ConvertTo-Json writes a one-element collection as the element itself.
  return [value];
}

function readProtector(value: unknown, where: Wording): PowerShellKeyProtector {
  if (!isObject(value)) {
    throw new PowerShellJsonError('bad-protector', bitLockerMessages.psNotAProtector(where));
  }
  const rawId = property(value, 'KeyProtectorId');
  if (typeof rawId !== 'string') {
    throw new PowerShellJsonError('bad-protector', bitLockerMessages.psNoProtectorId(where));
  }
  let id: string;
  try {
    id = parseProtectorId(rawId);
  } catch {
    throw new PowerShellJsonError(
      'bad-protector',
      bitLockerMessages.psIdNotAGuid(where, JSON.stringify(rawId.slice(0, 60))),
    );
  }
  const typeName =
    enumName(property(value, 'KeyProtectorType'), keyProtectorTypeNames) ?? 'Unknown';
  const protector: PowerShellKeyProtector = {
    id,
    type: protectorTypes[typeName.toLowerCase()] ?? 'unknown',
    typeName,
  };
  const password = text(property(value, 'RecoveryPassword'));
  if (password !== undefined) {
    const parsed = parseRecoveryPassword(password);
    if (!parsed.valid) {
      const [first] = parsed.errors;
      throw new PowerShellJsonError(
        'bad-recovery-password',
        bitLockerMessages.psBadRecoveryPassword(
          where,
          id,
          first && first.block > 0 ? { block: first.block, reason: first.wording } : undefined,
        ),
      );
    }
    protector.recoveryPassword = parsed.normalized;
  }
  const keyFileName = text(property(value, 'KeyFileName'));
  if (keyFileName !== undefined) protector.keyFileName = keyFileName;
  return protector;
}

function readVolume(value: JsonObject, index: number): PowerShellVolume {
  const mountPoint = text(property(value, 'MountPoint'));
  const volumeName = mountPoint ?? `#${index + 1}`;
  const volume: PowerShellVolume = {
    keyProtectors: asList(property(value, 'KeyProtector')).map((protector, position) =>
      readProtector(protector, bitLockerMessages.psVolumeProtector(volumeName, position + 1)),
    ),
  };
  const optional: [keyof Omit<PowerShellVolume, 'keyProtectors'>, string | undefined][] = [
    ['mountPoint', mountPoint],
    ['computerName', text(property(value, 'ComputerName'))],
    ['volumeType', enumName(property(value, 'VolumeType'), volumeTypeNames)],
    ['encryptionMethod', enumName(property(value, 'EncryptionMethod'), encryptionMethodNames)],
    ['volumeStatus', enumName(property(value, 'VolumeStatus'), volumeStatusNames)],
    ['protectionStatus', enumName(property(value, 'ProtectionStatus'), protectionStatusNames)],
    ['lockStatus', enumName(property(value, 'LockStatus'), lockStatusNames)],
  ];
  for (const [key, found] of optional) if (found !== undefined) volume[key] = found;
  return volume;
}

function parseJson(input: string): unknown {
  try {
    return JSON.parse(input.replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    throw new PowerShellJsonError(
      'not-json',
      bitLockerMessages.psNotJson(error instanceof Error ? error.message : 'parse error'),
    );
  }
}

/** Whether a text starts like JSON that mentions BitLocker volume or key protector properties. */
export function looksLikeBitLockerJson(input: string): boolean {
  const trimmed = input.trimStart().replace(/^\uFEFF/, '');
  return /^[[{]/.test(trimmed) && /"(KeyProtector|KeyProtectorId|MountPoint)"\s*:/i.test(trimmed);
}

/**
 * Reads `Get-BitLockerVolume | ConvertTo-Json -Depth 4` output (one volume or an array), and also
 * `(Get-BitLockerVolume C:).KeyProtector | ConvertTo-Json` (protectors without their volume).
 */
export function parseBitLockerVolumeJson(input: string): PowerShellVolume[] {
  const items = asList(parseJson(input));
  if (items.length === 0) {
    throw new PowerShellJsonError('empty', bitLockerMessages.psNoVolumes);
  }
  const volumes: PowerShellVolume[] = [];
  const loose: PowerShellKeyProtector[] = [];
  items.forEach((item, index) => {
    if (!isObject(item)) {
      throw new PowerShellJsonError('bad-volume', bitLockerMessages.psItemNotAnObject(index + 1));
    }
    if (property(item, 'KeyProtectorId') !== undefined) {
      loose.push(readProtector(item, bitLockerMessages.psLooseProtector(index + 1)));
    } else if (
      property(item, 'KeyProtector') !== undefined ||
      property(item, 'MountPoint') !== undefined
    ) {
      volumes.push(readVolume(item, index));
    } else {
      throw new PowerShellJsonError('bad-volume', bitLockerMessages.psItemUnknown(index + 1));
    }
  });
  if (loose.length > 0) volumes.push({ keyProtectors: loose });
  return volumes;
}

/**
 * Reads `Add-BitLockerKeyProtector -RecoveryPasswordProtector -RecoveryPassword <password> |
 * ConvertTo-Json` output (the volume after the change): the ID of the protector holding that
 * password.
 */
export function addedRecoveryPasswordProtectorId(input: string, recoveryPassword: string): string {
  const normalized = (text: string | undefined) => {
    const parsed = text === undefined ? undefined : parseRecoveryPassword(text);
    return parsed?.valid ? parsed.normalized : undefined;
  };
  const wanted = normalized(recoveryPassword);
  const found = parseBitLockerVolumeJson(input)
    .flatMap((volume) => volume.keyProtectors)
    .filter(
      (protector) =>
        protector.type === 'recovery-password' &&
        wanted !== undefined &&
        normalized(protector.recoveryPassword) === wanted,
    );
  const [only] = found;
  if (found.length !== 1 || !only) {
    throw new PowerShellJsonError(
      'no-added-recovery-password',
      bitLockerMessages.psAddedProtectorCount(found.length),
    );
  }
  return only.id;
}
