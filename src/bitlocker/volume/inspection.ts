import type { ConversionState, EncryptionMethod, VolumeProtectorType } from './metadata.js';
import type { BitLockerVolume, MetadataCopyStatus } from './volume.js';

/** What `keyhold inspect` reports: everything readable without a key. */
export interface VolumeInspection {
  volumeGuid: string;
  encryptionMethod: EncryptionMethod | 'unknown';
  sectorSize: number;
  description: string;
  protectors: {
    id: string;
    type: VolumeProtectorType;
    createdAt?: string;
    /** Set for protector types Keyhold does not name: the raw protection type. */
    protectionCode?: string;
  }[];
  metadataCopies: MetadataCopyStatus[];
  state: ConversionState;
  /** Bytes of the volume that are encrypted. */
  encryptedSize: number;
  createdAt?: string;
  /** `fixed` for internal and fixed drives, `to-go` for BitLocker To Go removable drives. */
  kind: 'fixed' | 'to-go';
}

function hexCode(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

export function inspectVolume(volume: BitLockerVolume): VolumeInspection {
  const metadata = volume.metadata[0];
  const inspection: VolumeInspection = {
    volumeGuid: metadata.volumeGuid,
    encryptionMethod: metadata.encryptionMethod ?? 'unknown',
    sectorSize: volume.header.bytesPerSector,
    description: metadata.description,
    protectors: metadata.protectors.map((protector) => ({
      id: protector.id,
      type: protector.type,
      ...(protector.createdAt ? { createdAt: protector.createdAt.toISOString() } : {}),
      ...(protector.type === 'unknown'
        ? { protectionCode: hexCode(protector.protectionCode) }
        : {}),
    })),
    metadataCopies: volume.copies,
    state: volume.state,
    encryptedSize: metadata.encryptedVolumeSize,
    kind: volume.header.kind,
  };
  if (metadata.createdAt) inspection.createdAt = metadata.createdAt.toISOString();
  return inspection;
}
