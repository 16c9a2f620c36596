import { sentences, type Wording } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import { describeLookalikes, keyIdLookalikes } from './lookalike-digits.js';
import { bitLockerMessages } from './messages.js';

/** Thrown for text or bytes that are not a key protector ID. */
export class ProtectorIdError extends BitLockerFormatError {
  constructor(wording: Wording) {
    super('invalid-protector-id', wording);
  }
}

const guidLength = 32;
const dashedGuid = /^([0-9A-F]{8})-?([0-9A-F]{4})-?([0-9A-F]{4})-?([0-9A-F]{4})-?([0-9A-F]{12})$/;

function describe(input: string): string {
  const shown = input.length > 60 ? `${input.slice(0, 57)}...` : input;
  return JSON.stringify(shown);
}

function formatHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Parses a key protector ID in any form Windows shows it: `{64311DEA-4587-...}` (PowerShell,
 * manage-bde), `64311DEA-4587-...` (recovery key file), any letter case, or the bare 32 hex
 * digits. Returns the canonical form: upper case, dashes, no braces.
 */
export function parseProtectorId(input: string): string {
  let text = input.trim().toUpperCase();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  const match = dashedGuid.exec(text);
  if (!match) {
    const hexDigits = text.replace(/[^0-9A-F]/g, '').length;
    const advice =
      hexDigits > 0 && hexDigits < guidLength
        ? bitLockerMessages.partialProtectorId(hexDigits)
        : bitLockerMessages.protectorIdExample;
    throw new ProtectorIdError(
      sentences(
        bitLockerMessages.notAProtectorId(describe(input)),
        describeLookalikes(keyIdLookalikes(input)),
        advice,
      ),
    );
  }
  return match.slice(1).join('-');
}

/** Reads the 16-byte on-disk form (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, 8 raw bytes). */
export function protectorIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new ProtectorIdError(bitLockerMessages.protectorIdBytes(bytes.length));
  }
  const fields = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const hex =
    fields.getUint32(0, true).toString(16).padStart(8, '0') +
    fields.getUint16(4, true).toString(16).padStart(4, '0') +
    fields.getUint16(6, true).toString(16).padStart(4, '0') +
    Array.from(bytes.subarray(8, 16), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return formatHex(hex.toUpperCase());
}

/** The 16-byte on-disk form of an ID given in any accepted display form. */
export function protectorIdToBytes(id: string): Uint8Array {
  const hex = parseProtectorId(id).replace(/-/g, '');
  const bytes = new Uint8Array(16);
  const fields = new DataView(bytes.buffer);
  fields.setUint32(0, Number.parseInt(hex.slice(0, 8), 16), true);
  fields.setUint16(4, Number.parseInt(hex.slice(8, 12), 16), true);
  fields.setUint16(6, Number.parseInt(hex.slice(12, 16), 16), true);
  for (let index = 8; index < 16; index++) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

/** The first 8 hex characters: what the BitLocker recovery screen shows as the Key ID. */
export function shortProtectorId(id: string): string {
  return parseProtectorId(id).slice(0, 8);
}

/**
 * Turns what a person typed as the start of a Key ID (`64311dea`, `{64311DEA-45`) into bare
 * upper-case hex digits for prefix lookups.
 */
export function normalizeKeyIdPrefix(input: string): string {
  const hex = input.replace(/[{}\s-]/g, '').toUpperCase();
  if (hex.length === 0) {
    throw new ProtectorIdError(bitLockerMessages.keyIdEmpty);
  }
  if (!/^[0-9A-F]+$/.test(hex)) {
    throw new ProtectorIdError(
      sentences(
        bitLockerMessages.notAKeyId(describe(input)),
        describeLookalikes(keyIdLookalikes(input)),
      ),
    );
  }
  if (hex.length > guidLength) {
    throw new ProtectorIdError(bitLockerMessages.keyIdTooLong(describe(input), hex.length));
  }
  return hex;
}

/** Whether a protector ID (any display form) starts with a typed Key ID prefix. */
export function matchesKeyIdPrefix(id: string, prefix: string): boolean {
  return parseProtectorId(id).replace(/-/g, '').startsWith(normalizeKeyIdPrefix(prefix));
}

/** Kinds of key protector, named the same whichever tool or file reported them. */
export type ProtectorType =
  | 'recovery-password'
  | 'external-key'
  | 'password'
  | 'tpm'
  | 'tpm-pin'
  | 'tpm-startup-key'
  | 'tpm-pin-startup-key'
  | 'tpm-network-key'
  | 'certificate'
  | 'ad-account'
  | 'clear-key'
  | 'unknown';

/** What each protector type is called in Windows' own English user interface. */
export const protectorTypeLabels: Readonly<Record<ProtectorType, string>> = {
  'recovery-password': 'Numerical password (recovery key)',
  'external-key': 'External key (startup key file)',
  password: 'Password',
  tpm: 'TPM',
  'tpm-pin': 'TPM and PIN',
  'tpm-startup-key': 'TPM and startup key',
  'tpm-pin-startup-key': 'TPM, PIN and startup key',
  'tpm-network-key': 'TPM and network key',
  certificate: 'Certificate (smart card)',
  'ad-account': 'Active Directory account or group',
  'clear-key': 'Clear key (protection suspended)',
  unknown: 'Unknown protector',
};
