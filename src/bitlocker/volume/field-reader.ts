import type { Wording } from '../../text/wording.js';
import { VolumeFormatError } from './errors.js';
import { volumeFormatMessages } from './messages.js';

/**
 * Little-endian reads from untrusted bytes. Every read is checked against the bytes that are
 * there and fails with a {@link VolumeFormatError} naming the structure, never a RangeError.
 */
export class FieldReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** What the bytes are, for messages: "The FVE metadata block at byte 35213312". */
    readonly what: Wording,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.bytes.length) {
      throw new VolumeFormatError(
        'truncated-structure',
        volumeFormatMessages.fieldPastEnd(this.what, offset, this.bytes.length),
      );
    }
  }

  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, true);
  }

  /** A u64 that must fit a JavaScript number exactly (offsets and sizes on a disk do). */
  u64(offset: number): number {
    this.check(offset, 8);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new VolumeFormatError(
        'implausible-value',
        volumeFormatMessages.valueLargerThanAnyDisk(this.what, offset),
      );
    }
    return Number(value);
  }

  u64Big(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, true);
  }

  bytesAt(offset: number, size: number): Uint8Array {
    this.check(offset, size);
    return this.bytes.subarray(offset, offset + size);
  }

  ascii(offset: number, size: number): string {
    return Buffer.from(this.bytesAt(offset, size)).toString('latin1');
  }
}

/** 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const filetimeEpochOffset = 116444736000000000n;

/** A FILETIME as a Date; undefined for zero or values outside JavaScript's date range. */
export function filetimeToDate(value: bigint): Date | undefined {
  if (value === 0n) return undefined;
  const date = new Date(Number((value - filetimeEpochOffset) / 10000n));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function dateToFiletime(date: Date): bigint {
  return BigInt(date.getTime()) * 10000n + filetimeEpochOffset;
}
