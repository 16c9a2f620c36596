import type { Wording } from '../../text/wording.js';
import { VolumeFormatError } from './errors.js';
import { volumeFormatMessages } from './messages.js';
import { metadataAreaSize, type FveMetadata, type VolumeHeader } from './metadata.js';

/**
 * Where each byte of the decrypted volume comes from (docs/bitlocker-format.md, section 7.5): the
 * first sectors were moved elsewhere when BitLocker took over the volume, the metadata areas
 * read as zeros, and bytes past the encrypted size are stored in the clear.
 */
export interface VolumeLayout {
  /** Size of the decrypted volume in bytes. */
  size: number;
  sectorSize: number;
  /** Bytes [0, encryptedSize) are encrypted on disk. */
  encryptedSize: number;
  /** Logical bytes [0, relocatedSize) are stored at relocatedOffset. */
  relocatedOffset: number;
  relocatedSize: number;
  /** Sorted, non-overlapping [start, end) ranges that read as zeros. */
  zeroRanges: { start: number; end: number }[];
}

export type Segment =
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'encrypted' | 'plain'; offset: number; length: number; physicalOffset: number };

function mergeRanges(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const merged: { start: number; end: number }[] = [];
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * The error for an image shorter than the volume its metadata describes, or undefined. A fully
 * encrypted volume is at least its encrypted size long; a shorter image is a partial copy, and
 * decrypting it would give a short volume that looks whole.
 */
export function truncationOf(
  metadata: FveMetadata,
  sourceSize: number | undefined,
): VolumeFormatError | undefined {
  if (sourceSize === undefined || sourceSize >= metadata.encryptedVolumeSize) return undefined;
  return new VolumeFormatError(
    'truncated-volume',
    volumeFormatMessages.imageShorterThanVolume(sourceSize, metadata.encryptedVolumeSize),
  );
}

/**
 * The layout of a fully encrypted volume. `sourceSize` is the size of the image or device when
 * known; otherwise the encrypted size recorded in the metadata is the volume's size.
 */
export function volumeLayout(
  header: VolumeHeader,
  metadata: FveMetadata,
  sourceSize: number | undefined,
): VolumeLayout {
  const sectorSize = header.bytesPerSector;
  const truncation = truncationOf(metadata, sourceSize);
  if (truncation) throw truncation;
  const size = sourceSize ?? metadata.encryptedVolumeSize;
  const relocatedSize = metadata.relocatedSectorCount * sectorSize;
  const problem = (what: Wording) =>
    new VolumeFormatError('bad-layout', volumeFormatMessages.layoutInconsistent(what));
  if (metadata.encryptedVolumeSize % sectorSize !== 0) {
    throw problem(volumeFormatMessages.sizeNotWholeSectors(metadata.encryptedVolumeSize));
  }
  if (metadata.relocatedHeaderOffset % sectorSize !== 0) {
    throw problem(volumeFormatMessages.movedBootSectorsOffBoundary);
  }
  if (relocatedSize > size || metadata.relocatedHeaderOffset + relocatedSize > size) {
    throw problem(volumeFormatMessages.movedBootSectorsOutside(relocatedSize));
  }
  for (const offset of metadata.metadataOffsets) {
    if (offset % sectorSize !== 0 || offset >= size) {
      throw problem(volumeFormatMessages.metadataCopyOutside(offset));
    }
  }
  const zeroRanges = mergeRanges([
    ...metadata.metadataOffsets.map((start) => ({
      start,
      end: Math.min(size, start + metadataAreaSize),
    })),
    ...(relocatedSize > 0
      ? [
          {
            start: metadata.relocatedHeaderOffset,
            end: metadata.relocatedHeaderOffset + relocatedSize,
          },
        ]
      : []),
  ]);
  return {
    size,
    sectorSize,
    encryptedSize: Math.min(metadata.encryptedVolumeSize, size),
    relocatedOffset: metadata.relocatedHeaderOffset,
    relocatedSize,
    zeroRanges,
  };
}

/** Splits logical bytes [offset, offset + length) into runs that are read the same way. */
export function mapRange(layout: VolumeLayout, offset: number, length: number): Segment[] {
  const segments: Segment[] = [];
  const end = Math.min(offset + length, layout.size);
  let position = offset;
  while (position < end) {
    const zero = layout.zeroRanges.find((r) => r.start <= position && position < r.end);
    if (zero) {
      const stop = Math.min(zero.end, end);
      segments.push({ kind: 'zero', offset: position, length: stop - position });
      position = stop;
      continue;
    }
    const boundaries = [
      end,
      ...layout.zeroRanges.map((r) => r.start),
      layout.relocatedSize,
      layout.encryptedSize,
    ].filter((b) => b > position);
    const stop = Math.min(...boundaries);
    const length = stop - position;
    if (position < layout.relocatedSize) {
      const physicalOffset = layout.relocatedOffset + position;
      segments.push({ kind: 'encrypted', offset: position, length, physicalOffset });
    } else {
      const kind = position < layout.encryptedSize ? 'encrypted' : 'plain';
      segments.push({ kind, offset: position, length, physicalOffset: position });
    }
    position = stop;
  }
  return segments;
}
