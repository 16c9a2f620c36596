/**
 * FVE metadata entries: the records BitLocker keeps in a volume's metadata blocks, in the values
 * nested inside them, and in startup key (.BEK) files. Each starts with an 8-byte header (u16
 * size including the header, u16 entry type, u16 value type, u16 version) followed by its value.
 * Layout facts: docs/bitlocker-format.md, sections 6 and 8.
 */
export const fveEntryHeaderSize = 8;

export interface FveEntry {
  type: number;
  valueType: number;
  /** Where the entry starts in the bytes walked, for messages. */
  offset: number;
  value: Uint8Array;
}

/**
 * Splits the run of entries in `bytes` from `start` up to `end`; an entry of size 0 ends the run
 * early. Every size is checked against the bytes that are there, and one that does not fit is
 * damage: `damaged` makes the caller's own error for it, so each format names itself.
 */
export function readFveEntries(
  bytes: Uint8Array,
  start: number,
  end: number,
  damaged: (offset: number, claimedSize: number, bytesLeft: number) => Error,
): FveEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Math.min(end, bytes.length);
  const entries: FveEntry[] = [];
  let offset = start;
  while (offset + fveEntryHeaderSize <= limit) {
    const size = view.getUint16(offset, true);
    if (size === 0) break;
    if (size < fveEntryHeaderSize || offset + size > limit) {
      throw damaged(offset, size, limit - offset);
    }
    entries.push({
      type: view.getUint16(offset + 2, true),
      valueType: view.getUint16(offset + 4, true),
      offset,
      value: bytes.subarray(offset + fveEntryHeaderSize, offset + size),
    });
    offset += size;
  }
  return entries;
}
