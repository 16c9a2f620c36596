import { readFveEntries } from '../fve-entries.js';
import { protectorIdFromBytes } from '../protector-id.js';
import { crc32 } from './crc32.js';
import { UnsupportedVolumeError, VolumeFormatError } from './errors.js';
import { FieldReader, filetimeToDate } from './field-reader.js';
import { volumeFormatMessages } from './messages.js';

/**
 * The BitLocker volume header (sector 0) and FVE metadata blocks, parsed from untrusted bytes.
 * Layout facts: docs/bitlocker-format.md, sections 5 and 6.
 */

/** Each metadata copy occupies this much of the volume (and reads as zeros when decrypted). */
export const metadataAreaSize = 0x10000;
export const volumeHeaderSize = 512;

const signatureFixed = '-FVE-FS-';
const signatureToGo = 'MSWIN4.1';
const blockHeaderSize = 64;
const metadataHeaderSize = 48;
/** Entries nest (VMK > stretch key > encrypted key); real volumes use three levels. */
const maxEntryDepth = 4;
const validationHeaderSize = 8;

/** GUIDs in the volume header: a normal BitLocker volume, and a used-space-only one. */
const bitLockerGuid = '4967D63B-2E29-4AD8-8399-F6A339E3D001';
const encryptOnWriteGuid = '92A84D3B-DD80-4D0E-9E4E-B1E3284EAED8';

const entryType = {
  vmk: 0x0002,
  fvek: 0x0003,
  description: 0x0007,
  volumeHeaderBlock: 0x000f,
} as const;

const valueType = {
  key: 0x0001,
  string: 0x0002,
  stretchKey: 0x0003,
  useKey: 0x0004,
  aesCcm: 0x0005,
  vmk: 0x0008,
  externalKey: 0x0009,
  offsetAndSize: 0x000f,
} as const;

export type EncryptionMethod =
  | 'aes-cbc-128-elephant'
  | 'aes-cbc-256-elephant'
  | 'aes-cbc-128'
  | 'aes-cbc-256'
  | 'aes-xts-128'
  | 'aes-xts-256';

const encryptionMethods: Readonly<Record<number, EncryptionMethod>> = {
  0x8000: 'aes-cbc-128-elephant',
  0x8001: 'aes-cbc-256-elephant',
  0x8002: 'aes-cbc-128',
  0x8003: 'aes-cbc-256',
  0x8004: 'aes-xts-128',
  0x8005: 'aes-xts-256',
};

function encryptionMethodName(code: number): EncryptionMethod | undefined {
  return encryptionMethods[code];
}

export type VolumeProtectorType =
  | 'clear-key'
  | 'tpm'
  | 'startup-key'
  | 'tpm-pin'
  | 'recovery-password'
  | 'smart-card'
  | 'password'
  | 'unknown';

const protectionTypes: Readonly<Record<number, VolumeProtectorType>> = {
  0x0000: 'clear-key',
  0x0100: 'tpm',
  0x0200: 'startup-key',
  0x0500: 'tpm-pin',
  0x0800: 'recovery-password',
  0x1000: 'smart-card',
  0x2000: 'password',
};

export interface VolumeHeader {
  /** `fixed` for Windows 7+ volumes, `to-go` for BitLocker To Go (removable) volumes. */
  kind: 'fixed' | 'to-go';
  bytesPerSector: number;
  metadataOffsets: number[];
  /** Used-space-only ("encrypt on write") volumes carry their own GUID in the header. */
  usedSpaceOnly: boolean;
}

/** An AES-CCM encrypted value: 12-byte nonce, 16-byte tag, ciphertext. */
export interface EncryptedBlob {
  nonce: Uint8Array;
  tag: Uint8Array;
  ciphertext: Uint8Array;
}

export interface VolumeProtector {
  /** Canonical GUID, e.g. `64311DEA-4587-4029-924A-BA299647998E`. */
  id: string;
  type: VolumeProtectorType;
  /** The raw protection type, for types Keyhold does not name. */
  protectionCode: number;
  createdAt?: Date;
  /** A name Windows stores with some protectors: "ExternalKey", "DiskPassword". */
  name?: string;
  /** Salt of the key stretch (password and recovery-password protectors). */
  salt?: Uint8Array;
  /** The 32-byte key stored in the clear when protection is suspended. */
  clearKey?: Uint8Array;
  /** The volume master key, encrypted with this protector's key. */
  encryptedVmk?: EncryptedBlob;
}

export interface FveMetadata {
  /** Byte offset of this copy on the volume. */
  blockOffset: number;
  /** Bytes covered by the CRC and the integrity hash: block header, metadata, entries. */
  protectedSize: number;
  /** The whole covered range, hashed by the integrity check once the VMK is known. */
  protectedBytes: Uint8Array;
  state: { current: number; next: number };
  encryptedVolumeSize: number;
  relocatedSectorCount: number;
  metadataOffsets: number[];
  relocatedHeaderOffset: number;
  volumeGuid: string;
  encryptionMethodCode: number;
  encryptionMethod: EncryptionMethod | undefined;
  createdAt: Date | undefined;
  description: string;
  protectors: VolumeProtector[];
  fvek: EncryptedBlob | undefined;
  /** The SHA-256 of the covered range, encrypted with the VMK (metadata version 2). */
  integrityHash: EncryptedBlob | undefined;
}

export function parseVolumeHeader(sector: Uint8Array): VolumeHeader {
  const reader = new FieldReader(sector, volumeFormatMessages.volumeHeader);
  if (sector.length < volumeHeaderSize) {
    throw new VolumeFormatError(
      'not-bitlocker',
      volumeFormatMessages.notBitLockerTooShort(sector.length),
    );
  }
  const signature = reader.ascii(3, 8);
  const isToGo = signature === signatureToGo;
  if (signature !== signatureFixed && !isToGo) {
    throw new VolumeFormatError('not-bitlocker', volumeFormatMessages.notBitLockerSignature);
  }
  const guid = protectorIdFromBytes(reader.bytesAt(isToGo ? 424 : 160, 16));
  if (isToGo && guid !== bitLockerGuid && guid !== encryptOnWriteGuid) {
    throw new VolumeFormatError('not-bitlocker', volumeFormatMessages.plainFatVolume);
  }
  if (!isToGo && sector[0] === 0xeb && sector[1] === 0x52 && sector[2] === 0x90) {
    throw new UnsupportedVolumeError('unsupported-vista', volumeFormatMessages.vistaVolume);
  }
  const bytesPerSector = reader.u16(11);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) {
    throw new VolumeFormatError(
      'bad-sector-size',
      volumeFormatMessages.badSectorSize(bytesPerSector),
    );
  }
  const firstOffset = isToGo ? 440 : 176;
  const metadataOffsets = [0, 1, 2].map((i) => reader.u64(firstOffset + 8 * i));
  return {
    kind: isToGo ? 'to-go' : 'fixed',
    bytesPerSector,
    metadataOffsets,
    usedSpaceOnly: guid === encryptOnWriteGuid,
  };
}

interface Entry {
  type: number;
  valueType: number;
  value: FieldReader;
}

function readEntries(reader: FieldReader, start: number, end: number, depth: number): Entry[] {
  if (depth > maxEntryDepth) {
    throw new VolumeFormatError(
      'bad-entry',
      volumeFormatMessages.entriesNestTooDeep(reader.what, maxEntryDepth),
    );
  }
  const entries = readFveEntries(
    reader.bytes,
    start,
    end,
    (offset, size, left) =>
      new VolumeFormatError(
        'bad-entry',
        volumeFormatMessages.entryTooLarge(reader.what, offset, size, left),
      ),
  );
  return entries.map(({ type, valueType, offset, value }) => ({
    type,
    valueType,
    value: new FieldReader(value, volumeFormatMessages.entryIn(reader.what, offset)),
  }));
}

function nested(entry: Entry, headerBytes: number, depth: number): Entry[] {
  return readEntries(entry.value, headerBytes, entry.value.length, depth + 1);
}

function parseEncryptedBlob(value: FieldReader): EncryptedBlob {
  if (value.length < 12 + 16) {
    throw new VolumeFormatError(
      'bad-entry',
      volumeFormatMessages.encryptedValueTooShort(value.what, value.length),
    );
  }
  return {
    nonce: value.bytesAt(0, 12),
    tag: value.bytesAt(12, 16),
    ciphertext: value.bytesAt(28, value.length - 28),
  };
}

function utf16(value: FieldReader): string {
  const even = value.length & ~1;
  return Buffer.from(value.bytesAt(0, even)).toString('utf16le').replace(/\0+$/, '');
}

/** VMK value: GUID[16], FILETIME[8], u16, u16 protection type, then nested entries. */
const vmkHeaderSize = 28;
/** Stretch-key value: u32 method, salt[16], then nested entries. */
const stretchKeyHeaderSize = 20;

function parseProtector(entry: Entry, depth: number): VolumeProtector {
  const value = entry.value;
  const protectionCode = value.u16(26);
  const protector: VolumeProtector = {
    id: protectorIdFromBytes(value.bytesAt(0, 16)),
    type: protectionTypes[protectionCode] ?? 'unknown',
    protectionCode,
  };
  const createdAt = filetimeToDate(value.u64Big(16));
  if (createdAt) protector.createdAt = createdAt;
  for (const inner of nested(entry, vmkHeaderSize, depth)) {
    if (inner.valueType === valueType.stretchKey) {
      protector.salt = inner.value.bytesAt(4, 16);
      // Parsed for validation only: the nested values are not needed to open the volume.
      nested(inner, stretchKeyHeaderSize, depth + 1);
    } else if (inner.valueType === valueType.aesCcm) {
      protector.encryptedVmk = parseEncryptedBlob(inner.value);
    } else if (inner.valueType === valueType.key && inner.value.length >= 4 + 32) {
      protector.clearKey = inner.value.bytesAt(4, 32);
    } else if (inner.valueType === valueType.string) {
      protector.name = utf16(inner.value);
    }
  }
  return protector;
}

/**
 * Parses one FVE metadata block copy (the bytes of its 64 KiB area). Throws
 * {@link VolumeFormatError} when the copy is damaged, including a CRC mismatch.
 */
export function parseMetadataBlock(bytes: Uint8Array, blockOffset: number): FveMetadata {
  const block = new FieldReader(bytes, volumeFormatMessages.metadataBlockAt(blockOffset));
  if (bytes.length < blockHeaderSize || block.ascii(0, 8) !== signatureFixed) {
    throw new VolumeFormatError(
      'bad-metadata-signature',
      volumeFormatMessages.noMetadataSignature(block.what),
    );
  }
  const version = block.u16(10);
  if (version === 1) {
    throw new UnsupportedVolumeError('unsupported-vista', volumeFormatMessages.vistaVolume);
  }
  const protectedSize = block.u16(8) * 16;
  const minimum = blockHeaderSize + metadataHeaderSize;
  if (protectedSize < minimum || protectedSize + validationHeaderSize > bytes.length) {
    throw new VolumeFormatError(
      'bad-metadata-size',
      volumeFormatMessages.metadataSizeClaim(block.what, protectedSize),
    );
  }
  const protectedBytes = block.bytesAt(0, protectedSize);
  const storedCrc = block.u32(protectedSize + 4);
  const actualCrc = crc32(protectedBytes);
  if (storedCrc !== actualCrc) {
    throw new VolumeFormatError(
      'metadata-crc-mismatch',
      volumeFormatMessages.crcMismatch(block.what, hex(storedCrc), hex(actualCrc)),
    );
  }
  if (version !== 2) {
    throw new UnsupportedVolumeError(
      'unsupported-metadata-version',
      volumeFormatMessages.metadataVersion(block.what, version),
    );
  }

  const header = new FieldReader(
    block.bytesAt(blockHeaderSize, protectedSize - blockHeaderSize),
    volumeFormatMessages.metadataHeaderAt(blockOffset + blockHeaderSize),
  );
  const totalSize = header.u32(0);
  if (totalSize < metadataHeaderSize || totalSize > header.length) {
    throw new VolumeFormatError(
      'bad-metadata-size',
      volumeFormatMessages.metadataTotalSize(block.what, totalSize, header.length),
    );
  }
  const encryptionMethodCode = header.u16(36);
  const metadata: FveMetadata = {
    blockOffset,
    protectedSize,
    protectedBytes,
    state: { current: block.u16(12), next: block.u16(14) },
    encryptedVolumeSize: block.u64(16),
    relocatedSectorCount: block.u32(28),
    metadataOffsets: [block.u64(32), block.u64(40), block.u64(48)],
    relocatedHeaderOffset: block.u64(56),
    volumeGuid: protectorIdFromBytes(header.bytesAt(16, 16)),
    encryptionMethodCode,
    encryptionMethod: encryptionMethodName(encryptionMethodCode),
    createdAt: filetimeToDate(header.u64Big(40)),
    description: '',
    protectors: [],
    fvek: undefined,
    integrityHash: undefined,
  };

  for (const entry of readEntries(header, metadataHeaderSize, totalSize, 0)) {
    if (entry.type === entryType.vmk && entry.valueType === valueType.vmk) {
      metadata.protectors.push(parseProtector(entry, 0));
    } else if (entry.type === entryType.fvek && entry.valueType === valueType.aesCcm) {
      metadata.fvek ??= parseEncryptedBlob(entry.value);
    } else if (entry.type === entryType.description && entry.valueType === valueType.string) {
      metadata.description = utf16(entry.value);
    }
  }

  const validation = new FieldReader(
    block.bytesAt(protectedSize, bytes.length - protectedSize),
    volumeFormatMessages.validationAreaAt(blockOffset + protectedSize),
  );
  const [hashEntry] = readEntries(validation, validationHeaderSize, validation.length, 0);
  if (hashEntry?.valueType === valueType.aesCcm) {
    metadata.integrityHash = parseEncryptedBlob(hashEntry.value);
  }
  return metadata;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/**
 * The `state` field scripts read: one word that says whether `unlock` can decrypt the volume.
 * {@link volumeConversion} tells the mode and the progress apart.
 */
export type ConversionState =
  'fully-encrypted' | 'used-space-only' | 'partially-encrypted' | 'decrypted';

/** `used-space-only` ("encrypt on write") encrypts only the clusters in use. */
export type EncryptionMode = 'full' | 'used-space-only';

/**
 * Where the conversion stands. `unknown` is a state pair Windows is not known to write; it is
 * refused like an unfinished conversion.
 */
export type ConversionStatus =
  'fully-encrypted' | 'encrypting' | 'decrypting' | 'paused' | 'decrypted' | 'unknown';

export interface VolumeConversion {
  mode: EncryptionMode;
  status: ConversionStatus;
  /** For a paused conversion: the direction it will resume in. */
  pausedWhile?: 'encrypting' | 'decrypting';
  /** Bytes from the start of the volume that are encrypted (the conversion's high-water mark). */
  encryptedSize: number;
}

/**
 * Values of the current and next state fields of the block header (offsets 12 and 14).
 * A conversion in progress has current = switching and next = its target; a paused one has
 * current = paused. The value 3 ("encrypt on write activated") has not been seen on
 * Windows-made volumes: used-space-only volumes carry their own header GUID instead.
 */
const volumeStateCode = { decrypted: 1, switching: 2, encrypted: 4, paused: 5 } as const;

export function volumeConversion(
  header: Pick<VolumeHeader, 'usedSpaceOnly'>,
  metadata: Pick<FveMetadata, 'state' | 'encryptedVolumeSize'>,
): VolumeConversion {
  const { current, next } = metadata.state;
  const mode: EncryptionMode = header.usedSpaceOnly ? 'used-space-only' : 'full';
  const encryptedSize = metadata.encryptedVolumeSize;
  const direction =
    next === volumeStateCode.encrypted
      ? 'encrypting'
      : next === volumeStateCode.decrypted
        ? 'decrypting'
        : undefined;
  if (current === volumeStateCode.encrypted && next === volumeStateCode.encrypted) {
    return { mode, status: 'fully-encrypted', encryptedSize };
  }
  if (current === volumeStateCode.decrypted && next === volumeStateCode.decrypted) {
    return { mode, status: 'decrypted', encryptedSize };
  }
  if (current === volumeStateCode.switching && direction) {
    return { mode, status: direction, encryptedSize };
  }
  if (current === volumeStateCode.paused && direction) {
    return { mode, status: 'paused', pausedWhile: direction, encryptedSize };
  }
  return { mode, status: 'unknown', encryptedSize };
}

export function conversionState(conversion: VolumeConversion): ConversionState {
  if (conversion.mode === 'used-space-only') return 'used-space-only';
  if (conversion.status === 'fully-encrypted' || conversion.status === 'decrypted') {
    return conversion.status;
  }
  return 'partially-encrypted';
}
