import type { ByteSource } from '../byte-source.js';
import { VolumeFormatError } from './errors.js';
import { volumeFormatMessages } from './messages.js';
import type { SectorDecryptor } from './sector-cipher.js';
import { portableCrypto, type VolumeCrypto } from './volume-crypto.js';
import { mapRange, volumeLayout, type VolumeLayout } from './volume-layout.js';
import type { BitLockerVolume } from './volume.js';
import type { VolumeKeys } from './volume-keys.js';
import type { FveMetadata } from './metadata.js';

/** Reads the decrypted volume: any range, in any order, several reads at a time. */
export class DecryptedVolumeReader {
  constructor(
    private readonly source: ByteSource,
    readonly layout: VolumeLayout,
    private readonly decryptor: SectorDecryptor,
  ) {}

  /**
   * Fills `target` with decrypted bytes starting at logical `offset`. Offsets and lengths are
   * whole sectors, except where the volume ends. A source that can read into a buffer reads the
   * stored bytes straight into `target`, where they are decrypted in place: no second buffer,
   * and each byte crosses memory once less.
   */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    for (const segment of mapRange(this.layout, offset, target.length)) {
      const at = segment.offset - offset;
      const into = target.subarray(at, at + segment.length);
      if (segment.kind === 'zero') {
        into.fill(0);
        continue;
      }
      const stored = await this.readStored(segment.physicalOffset, into);
      if (stored.length < segment.length) {
        throw new VolumeFormatError(
          'truncated-volume',
          volumeFormatMessages.imageEndsAt(
            segment.physicalOffset + stored.length,
            this.layout.size,
          ),
        );
      }
      if (segment.kind !== 'encrypted') {
        if (stored !== into) into.set(stored);
      } else if (this.decryptor.decryptAsync) {
        await this.decryptor.decryptAsync(stored, segment.physicalOffset, into);
      } else {
        this.decryptor.decrypt(stored, segment.physicalOffset, into);
      }
    }
  }

  /** Whether {@link copyBetweenFiles} can run: only the native addon copies file to file. */
  get copiesBetweenFiles(): boolean {
    return this.decryptor.copyAsync !== undefined;
  }

  /**
   * Writes logical bytes [offset, offset + length) of the decrypted volume to the open file
   * `outFd` at the same offsets, reading the image from the open file `inFd`. Ranges may be
   * copied in any order and several at once; only where {@link copiesBetweenFiles}.
   */
  async copyBetweenFiles(
    inFd: number,
    outFd: number,
    offset: number,
    length: number,
  ): Promise<void> {
    if (!this.decryptor.copyAsync) throw new Error('this decryptor cannot copy between files');
    await this.copying(
      this.decryptor.copyAsync(inFd, outFd, mapRange(this.layout, offset, length)),
    );
  }

  /** Whether {@link copierInOrder} can run: only the native addon copies in order. */
  get copiesInOrder(): boolean {
    return this.decryptor.orderedCopy !== undefined;
  }

  /**
   * Copies the decrypted volume from the open image file `inFd` to `outFd`, which takes bytes
   * only in order (standard output, a pipe), from logical `start` on: each call reads and
   * decrypts its range at once with the others and writes it after the ranges before it. Call
   * it for adjoining ranges in the order of their offsets, no more at once than Node's thread
   * pool has threads; only where {@link copiesInOrder}.
   */
  copierInOrder(
    inFd: number,
    outFd: number,
    start: number,
  ): (offset: number, length: number) => Promise<void> {
    if (!this.decryptor.orderedCopy) throw new Error('this decryptor cannot copy in order');
    const copy = this.decryptor.orderedCopy(inFd, outFd, start);
    return (offset, length) => this.copying(copy(mapRange(this.layout, offset, length)));
  }

  /** A copy's failure, an image that ends early said as such. */
  private async copying(copy: Promise<void>): Promise<void> {
    try {
      await copy;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'KEYHOLD_SHORT_READ') throw error;
      throw new VolumeFormatError(
        'truncated-volume',
        volumeFormatMessages.imageEndsEarly(this.layout.size),
      );
    }
  }

  /** The stored bytes for `into`: read into it when the source can, else a buffer of their own. */
  private async readStored(offset: number, into: Uint8Array): Promise<Uint8Array> {
    if (!this.source.readInto) return this.source.read(offset, into.length);
    const length = await this.source.readInto(offset, into);
    return length === into.length ? into : into.subarray(0, length);
  }
}

export function createVolumeReader(
  source: ByteSource,
  volume: BitLockerVolume,
  metadata: FveMetadata,
  keys: VolumeKeys,
  crypto: VolumeCrypto = portableCrypto,
): DecryptedVolumeReader {
  const layout = volumeLayout(volume.header, metadata, source.size);
  if (!metadata.encryptionMethod) {
    throw new VolumeFormatError(
      'unknown-encryption-method',
      volumeFormatMessages.unknownEncryptionMethod,
    );
  }
  const decryptor = crypto.createSectorDecryptor(
    metadata.encryptionMethod,
    keys.fvek,
    layout.sectorSize,
  );
  return new DecryptedVolumeReader(source, layout, decryptor);
}
