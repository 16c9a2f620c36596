import type { Wording } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import { fveEntryHeaderSize, readFveEntries } from './fve-entries.js';
import { bitLockerMessages } from './messages.js';
import { protectorIdFromBytes, protectorIdToBytes } from './protector-id.js';
import { dateToFiletime, filetimeToDate } from './volume/field-reader.js';

/** Thrown for bytes that are not a BitLocker startup key (.BEK) file. */
export class BekFileError extends BitLockerFormatError {}

export interface BekFile {
  /** The key's GUID: the startup-key protector's ID and the file's name. */
  keyId: string;
  /** The 32-byte key that decrypts the volume master key directly. */
  key: Buffer;
  /** The volume the key belongs to; Windows 11 records it, Windows 10 does not. */
  volumeId?: string;
  created?: Date;
  /** The description string stored with the key ("ExternalKey"). */
  description?: string;
}

const headerSize = 48;
const entryTypeStartupKey = 0x0006;
const valueTypeKey = 0x0001;
const valueTypeString = 0x0002;
const valueTypeExternalKey = 0x0009;
const valueTypeGuid = 0x0017;
const keyMethodExternal = 0x2002;
const externalKeySize = 32;
/** GUID and FILETIME ahead of the nested entries in an external-key value. */
const externalKeyPrefix = 24;
interface Entry {
  type: number;
  valueType: number;
  value: Buffer;
}

/** The entries of a run as Buffers; damage is told as a startup key file's. */
function readEntries(bytes: Buffer, start: number, end: number, where: Wording): Entry[] {
  const entries = readFveEntries(
    bytes,
    start,
    end,
    (offset, size) =>
      new BekFileError('bad-entry', bitLockerMessages.bekEntryDamaged(where, offset, size)),
  );
  return entries.map(({ type, valueType, value }) => ({
    type,
    valueType,
    value: Buffer.from(value.buffer, value.byteOffset, value.length),
  }));
}

/** Whether bytes start like a .BEK file: a 48-byte header whose sizes agree with each other. */
export function looksLikeBekFile(bytes: Uint8Array): boolean {
  if (bytes.length < headerSize + fveEntryHeaderSize) return false;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const total = b.readUInt32LE(0);
  return (
    b.readUInt32LE(4) === 1 &&
    b.readUInt32LE(8) === headerSize &&
    b.readUInt32LE(12) === total &&
    total >= headerSize + fveEntryHeaderSize &&
    total <= 0x10000 &&
    b.readUInt16LE(headerSize + 2) === entryTypeStartupKey
  );
}

/** Reads a BitLocker startup key (.BEK) file. The file size is read from the file, not assumed. */
export function readBekFile(bytes: Uint8Array): BekFile {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < headerSize) {
    throw new BekFileError('too-short', bitLockerMessages.bekTooShort(b.length, headerSize));
  }
  const total = b.readUInt32LE(0);
  if (b.readUInt32LE(8) !== headerSize || b.readUInt32LE(12) !== total) {
    throw new BekFileError('bad-header', bitLockerMessages.bekBadHeader);
  }
  if (total < headerSize || total > b.length) {
    throw new BekFileError('truncated', bitLockerMessages.bekTruncated(total, b.length));
  }
  const keyId = protectorIdFromBytes(b.subarray(16, 32));
  const entry = readEntries(b, headerSize, total, bitLockerMessages.inTheFile).find(
    (candidate) =>
      candidate.type === entryTypeStartupKey && candidate.valueType === valueTypeExternalKey,
  );
  if (!entry || entry.value.length < externalKeyPrefix) {
    throw new BekFileError('no-key', bitLockerMessages.bekNoExternalKeyEntry);
  }
  const result: Partial<BekFile> & { keyId: string } = { keyId };
  const created = filetimeToDate(entry.value.readBigUInt64LE(16));
  if (created) result.created = created;
  for (const nested of readEntries(
    entry.value,
    externalKeyPrefix,
    entry.value.length,
    bitLockerMessages.inTheExternalKey,
  )) {
    if (nested.valueType === valueTypeKey && nested.value.length >= 4) {
      const method = nested.value.readUInt32LE(0);
      const key = nested.value.subarray(4);
      if (method !== keyMethodExternal || key.length !== externalKeySize) {
        throw new BekFileError(
          'bad-key',
          bitLockerMessages.bekUnexpectedKey(method.toString(16), key.length),
        );
      }
      result.key = Buffer.from(key);
    } else if (nested.valueType === valueTypeString) {
      result.description = nested.value.toString('utf16le').replace(/\0+$/, '');
    } else if (nested.valueType === valueTypeGuid && nested.value.length >= 16) {
      result.volumeId = protectorIdFromBytes(nested.value.subarray(0, 16));
    }
  }
  if (!result.key) {
    throw new BekFileError('no-key', bitLockerMessages.bekNoKey);
  }
  return result as BekFile;
}

function entry(type: number, valueType: number, value: Uint8Array): Buffer {
  const header = Buffer.alloc(fveEntryHeaderSize);
  header.writeUInt16LE(fveEntryHeaderSize + value.length, 0);
  header.writeUInt16LE(type, 2);
  header.writeUInt16LE(valueType, 4);
  header.writeUInt16LE(1, 6);
  return Buffer.concat([header, value]);
}

/**
 * Writes a startup key file in the layout Windows uses (the Windows 11 layout when a volume ID
 * is given). Name it `<keyId>.BEK`.
 */
export function writeBekFile(options: {
  keyId: string;
  key: Uint8Array;
  volumeId?: string;
  created?: Date;
}): Buffer {
  if (options.key.length !== externalKeySize) {
    throw new BekFileError(
      'bad-key',
      bitLockerMessages.startupKeySize(externalKeySize, options.key.length),
    );
  }
  const keyId = protectorIdToBytes(options.keyId);
  const created = Buffer.alloc(8);
  created.writeBigUInt64LE(dateToFiletime(options.created ?? new Date()));
  const keyValue = Buffer.alloc(4 + externalKeySize);
  keyValue.writeUInt32LE(keyMethodExternal, 0);
  Buffer.from(options.key).copy(keyValue, 4);
  const nested = [
    entry(0, valueTypeString, Buffer.from('ExternalKey\0', 'utf16le')),
    ...(options.volumeId ? [entry(0, valueTypeGuid, protectorIdToBytes(options.volumeId))] : []),
    entry(0, valueTypeKey, keyValue),
  ];
  const body = entry(
    entryTypeStartupKey,
    valueTypeExternalKey,
    Buffer.concat([keyId, created, ...nested]),
  );
  const header = Buffer.alloc(headerSize);
  const total = headerSize + body.length;
  header.writeUInt32LE(total, 0);
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(headerSize, 8);
  header.writeUInt32LE(total, 12);
  header.set(keyId, 16);
  header.writeUInt32LE(1, 32);
  created.copy(header, 40);
  return Buffer.concat([header, body]);
}
