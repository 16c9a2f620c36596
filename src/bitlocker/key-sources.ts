/**
 * Content detection for everything that can carry BitLocker keys: recovery key text files,
 * startup key (.BEK) files, manage-bde output and PowerShell JSON. The file name never matters.
 *
 * Each format is a `KeySource` in `keySources`; a new format (such as BitLocker volume images)
 * plugs in by adding one there. Sources read through a `ByteSource`, so this module does no I/O and
 * a large image never has to be loaded whole.
 */
import { looksLikeBekFile, readBekFile } from './bek-file.js';
import type { SizedByteSource } from './byte-source.js';
import type { Wording } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import {
  manageBdeOutputKind,
  parseManageBdeProtectors,
  parseManageBdeStatus,
} from './manage-bde.js';
import { bitLockerMessages } from './messages.js';
import { looksLikeBitLockerJson, parseBitLockerVolumeJson } from './powershell.js';
import type { ProtectorType } from './protector-id.js';
import { readRecoveryKeyText } from './recovery-file.js';
import { decodeText, looksLikeText } from './text-decoding.js';
import { bitLockerVolumeSource } from './volume/volume-key-source.js';

/** One key protector found in a file. */
export interface FoundKey {
  protectorId: string;
  type: ProtectorType;
  recoveryPassword?: string;
  /** The volume it protects: a mount point (`C:`) or, from a .BEK file, the volume GUID. */
  volume?: string;
  /** Where it was found, as the person named it (a file path). */
  source: string;
  /** Which format it was read from (`KeySource.format`). */
  format: string;
}

/** What a source sees first: the leading bytes and, when they read as text, that text. */
export interface SourceHead {
  bytes: Uint8Array;
  /** Decoded text of the head when it is text, otherwise undefined. */
  text: string | undefined;
}

export interface KeySource {
  /** Stable name, used in `FoundKey.format` and `--json` output. */
  readonly format: string;
  /** How to name the format in a sentence: "a BitLocker startup key file (.BEK)". */
  readonly description: Wording;
  /** A cheap check on the head alone. */
  matches(head: SourceHead): boolean;
  /** Reads the keys; throws BitLockerFormatError for a damaged or keyless file. */
  read(source: SizedByteSource, head: SourceHead): Promise<Omit<FoundKey, 'source' | 'format'>[]>;
}

/**
 * Thrown when no source reads a file; the wording says what the file looks like, as the end of a
 * sentence that starts with the file's name ("photo.png looks like a PNG image, ...").
 */
export class UnreadableKeySourceError extends BitLockerFormatError {
  constructor(
    readonly looksLike: Wording,
    wording: Wording,
    options?: ErrorOptions,
  ) {
    super('unreadable', wording, options);
  }
}

export const headSize = 64 * 1024;
/** Key files and tool output are a few kilobytes; anything this big is something else. */
export const maxTextSize = 16 * 1024 * 1024;

async function readWholeText(source: SizedByteSource, head: SourceHead): Promise<string> {
  if (source.size <= head.bytes.length) return head.text ?? '';
  if (source.size > maxTextSize) {
    throw new BitLockerFormatError(
      'too-large',
      bitLockerMessages.textTooLarge(Math.round(source.size / 1024 / 1024)),
    );
  }
  return decodeText(await source.read(0, source.size)).text;
}

export const bekFileSource: KeySource = {
  format: 'bek',
  description: bitLockerMessages.bekSource,
  matches: (head) => looksLikeBekFile(head.bytes),
  read(source, head) {
    const bek = readBekFile(head.bytes.subarray(0, Math.min(source.size, head.bytes.length)));
    return Promise.resolve([
      {
        protectorId: bek.keyId,
        type: 'external-key',
        ...(bek.volumeId ? { volume: bek.volumeId } : {}),
      },
    ]);
  },
};

/** The keys a Windows tool lists for one volume, as found keys. */
function keysOfVolume(
  mountPoint: string | undefined,
  protectors: readonly { id: string; type: ProtectorType; recoveryPassword?: string | undefined }[],
): Omit<FoundKey, 'source' | 'format'>[] {
  return protectors.map((protector) => ({
    protectorId: protector.id,
    type: protector.type,
    ...(protector.recoveryPassword ? { recoveryPassword: protector.recoveryPassword } : {}),
    ...(mountPoint ? { volume: mountPoint } : {}),
  }));
}

export const powerShellJsonSource: KeySource = {
  format: 'powershell-json',
  description: bitLockerMessages.powerShellSource,
  matches: (head) => head.text !== undefined && looksLikeBitLockerJson(head.text),
  async read(source, head) {
    return parseBitLockerVolumeJson(await readWholeText(source, head)).flatMap((volume) =>
      keysOfVolume(volume.mountPoint, volume.keyProtectors),
    );
  },
};

export const manageBdeSource: KeySource = {
  format: 'manage-bde',
  description: bitLockerMessages.manageBdeSource,
  matches: (head) => head.text !== undefined && manageBdeOutputKind(head.text) !== undefined,
  async read(source, head) {
    const text = await readWholeText(source, head);
    if (manageBdeOutputKind(text) === 'status') {
      const volumes = parseManageBdeStatus(text);
      const names = volumes.map((volume) => volume.mountPoint).join(', ');
      throw new BitLockerFormatError(
        'status-only',
        bitLockerMessages.statusOnly(names, volumes[0]?.mountPoint ?? 'C:'),
      );
    }
    return parseManageBdeProtectors(text).flatMap((volume) =>
      keysOfVolume(volume.mountPoint, volume.protectors),
    );
  },
};

export const recoveryKeyTextSource: KeySource = {
  format: 'recovery-key-file',
  description: bitLockerMessages.recoveryKeyTextSource,
  matches: (head) => head.text !== undefined,
  async read(source, head) {
    const text = await readWholeText(source, head);
    return readRecoveryKeyText(text).map((key) => ({
      protectorId: key.protectorId,
      type: 'recovery-password' as const,
      recoveryPassword: key.recoveryPassword,
    }));
  },
};

/** Tried in order: binary formats by signature first, then the text formats, most specific first. */
export const keySources: KeySource[] = [
  bekFileSource,
  bitLockerVolumeSource,
  powerShellJsonSource,
  manageBdeSource,
  recoveryKeyTextSource,
];

const signatures: [offset: number, magic: string, looksLike: Wording][] = [
  [0, '\x89PNG\r\n\x1a\n', bitLockerMessages.pngImage],
  [0, '\xff\xd8\xff', bitLockerMessages.jpegImage],
  [0, 'GIF8', bitLockerMessages.gifImage],
  [0, '%PDF-', bitLockerMessages.pdfDocument],
  [0, 'PK\x03\x04', bitLockerMessages.zipArchive],
  [0, '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', bitLockerMessages.oldOfficeDocument],
  [0, '{\\rtf', bitLockerMessages.rtfDocument],
  [0, '\x1f\x8b', bitLockerMessages.gzipArchive],
  [0, '\xfd7zXZ\x00', bitLockerMessages.xzArchive],
  [0, '7z\xbc\xaf\x27\x1c', bitLockerMessages.sevenZipArchive],
  [0, 'MZ', bitLockerMessages.windowsProgram],
  [0, '\x7fELF', bitLockerMessages.linuxProgram],
  [0, 'conectix', bitLockerMessages.vhdImage],
  [0, 'vhdxfile', bitLockerMessages.vhdxImage],
  [0, 'KDMV', bitLockerMessages.vmwareImage],
  [3, '-FVE-FS-', bitLockerMessages.bitLockerVolume],
  [3, 'NTFS    ', bitLockerMessages.plainNtfsVolume],
  [0, 'SQLite format 3\x00', bitLockerMessages.sqliteDatabase],
];

/** A short phrase for what some bytes look like, for "x looks like ..." messages. */
export function describeContent(head: SourceHead, size: number): Wording {
  if (size === 0) return bitLockerMessages.emptyFile;
  const bytes = Buffer.from(head.bytes.buffer, head.bytes.byteOffset, head.bytes.length);
  for (const [offset, magic, looksLike] of signatures) {
    const expected = Buffer.from(magic, 'latin1');
    if (bytes.subarray(offset, offset + expected.length).equals(expected)) return looksLike;
  }
  if (head.text !== undefined) {
    return head.text.trim() === '' ? bitLockerMessages.emptyText : bitLockerMessages.text;
  }
  return bitLockerMessages.binaryData;
}

/** Decodes the head of a file for the text formats. */
export function sourceHead(bytes: Uint8Array): SourceHead {
  const decoded = decodeText(bytes);
  return { bytes, text: looksLikeText(decoded.text) ? decoded.text : undefined };
}

/**
 * Reads every key a file holds, whatever its format. Throws `UnreadableKeySourceError` (saying
 * what the file looks like) when no format fits, or the fitting format's BitLockerFormatError.
 */
export async function readKeySource(
  source: SizedByteSource,
  sources: readonly KeySource[] = keySources,
): Promise<FoundKey[]> {
  const head = sourceHead(await source.read(0, Math.min(source.size, headSize)));
  const match = sources.find((candidate) => candidate.matches(head));
  if (!match) {
    const looksLike = describeContent(head, source.size);
    throw new UnreadableKeySourceError(looksLike, bitLockerMessages.notAKeySource(looksLike));
  }
  try {
    const keys = await match.read(source, head);
    return keys.map((key) => ({ ...key, source: source.name, format: match.format }));
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    // Plain text that is not a key file is just "text"; the other formats were recognised.
    const looksLike =
      match === recoveryKeyTextSource ? describeContent(head, source.size) : match.description;
    throw new UnreadableKeySourceError(
      looksLike,
      bitLockerMessages.unreadableAs(looksLike, error.wording),
      { cause: error },
    );
  }
}

/** A source over bytes already in memory (tests, uploads, stdin). */
export function bufferSource(name: string, bytes: Uint8Array): SizedByteSource {
  return {
    name,
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}
