import { VolumeFormatError } from './errors.js';
import { createSectorDecryptor, type SectorDecryptor } from './sector-cipher.js';
import type { ByteSource } from './volume.js';
import { mapRange, volumeLayout, type VolumeLayout } from './volume-layout.js';
import type { BitLockerVolume } from './volume.js';
import type { VolumeKeys } from './volume-keys.js';
import type { FveMetadata } from './metadata.js';

/** Reads the decrypted volume: any range, from any source, with no state between reads. */
export class DecryptedVolumeReader {
  constructor(
    private readonly source: ByteSource,
    readonly layout: VolumeLayout,
    private readonly decryptor: SectorDecryptor,
  ) {}

  /**
   * Fills `target` with decrypted bytes starting at logical `offset`. Offsets and lengths are
   * whole sectors, except where the volume ends.
   */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    for (const segment of mapRange(this.layout, offset, target.length)) {
      const at = segment.offset - offset;
      const into = target.subarray(at, at + segment.length);
      if (segment.kind === 'zero') {
        into.fill(0);
        continue;
      }
      const stored = await this.source.read(segment.physicalOffset, segment.length);
      if (stored.length < segment.length) {
        throw new VolumeFormatError(
          'truncated-volume',
          `The image ends at byte ${segment.physicalOffset + stored.length}, before the end of the volume (${this.layout.size} bytes): it is incomplete.`,
        );
      }
      if (segment.kind === 'plain') into.set(stored);
      else this.decryptor.decrypt(stored, segment.physicalOffset, into);
    }
  }
}

export function createVolumeReader(
  source: ByteSource,
  volume: BitLockerVolume,
  metadata: FveMetadata,
  keys: VolumeKeys,
): DecryptedVolumeReader {
  const layout = volumeLayout(volume.header, metadata, source.size);
  if (!metadata.encryptionMethod) {
    throw new VolumeFormatError('unknown-encryption-method', 'The encryption method is unknown.');
  }
  const decryptor = createSectorDecryptor(metadata.encryptionMethod, keys.fvek, layout.sectorSize);
  return new DecryptedVolumeReader(source, layout, decryptor);
}
