import { sentences } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import { bitLockerMessages } from './messages.js';
import { parseProtectorId } from './protector-id.js';
import {
  describeRecoveryPasswordErrors,
  findRecoveryPasswords,
  parseRecoveryPassword,
} from './recovery-password.js';
import { decodeText, looksLikeText } from './text-decoding.js';

/** Thrown for bytes that are not a recovery key file. */
export class RecoveryFileError extends BitLockerFormatError {}

export interface RecoveryFileKey {
  protectorId: string;
  recoveryPassword: string;
}

export type RecoveryFileLanguage = 'en' | 'nb';
export const recoveryFileLanguages: readonly RecoveryFileLanguage[] = ['en', 'nb'];

/** GUIDs in display form; hex digits glued to other word characters are not a GUID. */
const guidPattern =
  /(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])/g;

/** Every distinct full key protector ID in a text, canonical, in order of appearance. */
export function findProtectorIds(text: string): string[] {
  return [...new Set([...text.matchAll(guidPattern)].map(([guid]) => parseProtectorId(guid)))];
}

/**
 * Reads a recovery key file as Windows writes it ("Save to a file", "Save to a USB flash drive")
 * in any language and encoding: only the identifier and the 48-digit password matter, never the
 * sentences around them. A text holding several files' worth of keys pairs them in order.
 */
export function readRecoveryKeyFile(bytes: Uint8Array): RecoveryFileKey[] {
  const { text } = decodeText(bytes);
  if (!looksLikeText(text)) {
    throw new RecoveryFileError('not-text', bitLockerMessages.binaryNotRecoveryFile);
  }
  return readRecoveryKeyText(text);
}

/** The same as readRecoveryKeyFile, for text already decoded. */
export function readRecoveryKeyText(text: string): RecoveryFileKey[] {
  const passwords = findRecoveryPasswords(text);
  const ids = findProtectorIds(text);
  if (passwords.length === 0) {
    const attempt = parseRecoveryPassword(text);
    const typo = attempt.valid ? undefined : attempt.errors[0];
    throw new RecoveryFileError(
      'no-recovery-password',
      sentences(
        bitLockerMessages.noValidRecoveryPassword,
        typo && typo.block > 0
          ? bitLockerMessages.recoveryPasswordTypo(typo.block, typo.value, typo.wording)
          : undefined,
      ),
    );
  }
  if (ids.length === 0) {
    throw new RecoveryFileError('no-protector-id', bitLockerMessages.noProtectorIdForPassword);
  }
  if (ids.length !== passwords.length) {
    throw new RecoveryFileError(
      'ambiguous',
      bitLockerMessages.idsAndPasswordsDiffer(ids.length, passwords.length),
    );
  }
  return ids.map((protectorId, index) => ({
    protectorId,
    recoveryPassword: passwords[index] ?? '',
  }));
}

interface FileWording {
  heading: string;
  compare: string;
  identifierLabel: string;
  matches: string;
  keyLabel: string;
  closing: string[];
}

// Our own wording, laid out the way Windows lays out the file. The Bokmål uses the terms
// Microsoft's Norwegian (nb-NO) Windows help uses: "BitLocker-stasjonskryptering",
// "gjenopprettingsnøkkel"; the sentences are Keyhold's (README, "Recovery key files").
const wording: Record<RecoveryFileLanguage, FileWording> = {
  en: {
    heading: 'BitLocker Drive Encryption recovery key',
    compare:
      'Before you use this key, check that the start of the identifier below is the same as the Key ID your PC shows on its BitLocker recovery screen.',
    identifierLabel: 'Identifier:',
    matches: 'When the two match, type the recovery key below on your PC to unlock the drive.',
    keyLabel: 'Recovery Key:',
    closing: [
      'When they do not match, this key belongs to another drive: look for the file whose identifier matches.',
      'Keep this file somewhere safe and away from the PC it unlocks. Anyone who has it can read the drive.',
    ],
  },
  nb: {
    heading: 'Gjenopprettingsnøkkel for BitLocker-stasjonskryptering',
    compare:
      'Før du bruker denne nøkkelen, må du kontrollere at starten av identifikatoren nedenfor er den samme som nøkkel-ID-en PC-en viser på BitLocker-gjenopprettingsskjermen.',
    identifierLabel: 'Identifikator:',
    matches:
      'Når de to stemmer overens, skriver du inn gjenopprettingsnøkkelen nedenfor på PC-en for å låse opp stasjonen.',
    keyLabel: 'Gjenopprettingsnøkkel:',
    closing: [
      'Hvis de ikke stemmer overens, hører nøkkelen til en annen stasjon: se etter filen med samme identifikator.',
      'Oppbevar filen et trygt sted, atskilt fra PC-en den låser opp. Alle som har den, kan lese stasjonen.',
    ],
  },
};

/**
 * The name Windows gives the file: `BitLocker Recovery Key <GUID>.TXT` in English. Windows names
 * the file in its display language; in Bokmål it is Microsoft's own term for the key,
 * "BitLocker-gjenopprettingsnøkkel", in the same pattern.
 */
const fileNamePrefix: Record<RecoveryFileLanguage, string> = {
  en: 'BitLocker Recovery Key',
  nb: 'BitLocker-gjenopprettingsnøkkel',
};

export function recoveryKeyFileName(
  protectorId: string,
  language: RecoveryFileLanguage = 'en',
): string {
  return `${fileNamePrefix[language]} ${parseProtectorId(protectorId)}.TXT`;
}

/**
 * The recovery key file exactly as Windows lays it out: UTF-16LE with a BOM, CRLF line ends, the
 * identifier and the key on TAB-indented lines. Refuses an invalid ID or password.
 */
export function writeRecoveryKeyFile(options: {
  protectorId: string;
  recoveryPassword: string;
  language?: RecoveryFileLanguage;
}): { fileName: string; bytes: Buffer } {
  const protectorId = parseProtectorId(options.protectorId);
  const parsed = parseRecoveryPassword(options.recoveryPassword);
  if (!parsed.valid) {
    throw new RecoveryFileError(
      'invalid-recovery-password',
      sentences(
        bitLockerMessages.recoveryPasswordInvalid,
        describeRecoveryPasswordErrors(parsed.errors),
      ),
    );
  }
  const words = wording[options.language ?? 'en'];
  const lines = [
    words.heading,
    '',
    words.compare,
    '',
    words.identifierLabel,
    '',
    `\t${protectorId}`,
    '',
    words.matches,
    '',
    words.keyLabel,
    '',
    `\t${parsed.normalized}`,
    '',
    ...words.closing,
    '',
  ];
  const text = lines.join('\r\n');
  return {
    fileName: recoveryKeyFileName(protectorId, options.language),
    bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
  };
}
