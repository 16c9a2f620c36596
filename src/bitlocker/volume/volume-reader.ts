import type { ByteSource } from '../byte-source.js';
import { VolumeFormatError } from './errors.js';
import type { SectorDecryptor } from './sector-cipher.js';
import { portableCrypto, type VolumeCrypto } from './volume-crypto.js';
import { mapRange, volumeLayout, type VolumeLayout } from './volume-layout.js';
import type { BitLockerVolume } from './volume.js';
import type { VolumeKeys } from './volume-keys.js';
import type { FveMetadata } from './metadata.js';

/** Enough for a few reads in flight at once. */
const maxSpares = 4;

/** Reads the decrypted volume: any range, in any order, several reads at a time. */
export class DecryptedVolumeReader {
  /** Ciphertext buffers kept between reads when the source can read into one. */
  private readonly spares: Uint8Array[] = [];

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
      const buffer = this.source.readInto ? this.takeBuffer(segment.length) : undefined;
      try {
        const stored = await this.readStored(segment.physicalOffset, segment.length, buffer);
        if (stored.length < segment.length) {
          throw new VolumeFormatError(
            'truncated-volume',
            `The image ends at byte ${segment.physicalOffset + stored.length}, before the end of the volume (${this.layout.size} bytes): it is incomplete.`,
          );
        }
        if (segment.kind === 'plain') into.set(stored);
        else this.decryptor.decrypt(stored, segment.physicalOffset, into);
      } finally {
        if (buffer && this.spares.length < maxSpares) this.spares.push(buffer);
      }
    }
  }

  /** A free spare buffer large enough, or a new one; concurrent reads each get their own. */
  private takeBuffer(length: number): Uint8Array {
    const spare = this.spares.pop();
    return spare && spare.length >= length ? spare : new Uint8Array(length);
  }

  private async readStored(
    offset: number,
    length: number,
    buffer: Uint8Array | undefined,
  ): Promise<Uint8Array> {
    if (!buffer || !this.source.readInto) return this.source.read(offset, length);
    const target = buffer.subarray(0, length);
    return target.subarray(0, await this.source.readInto(offset, target));
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
    throw new VolumeFormatError('unknown-encryption-method', 'The encryption method is unknown.');
  }
  const decryptor = crypto.createSectorDecryptor(
    metadata.encryptionMethod,
    keys.fvek,
    layout.sectorSize,
  );
  return new DecryptedVolumeReader(source, layout, decryptor);
}
