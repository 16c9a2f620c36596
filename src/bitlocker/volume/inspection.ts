import type {
  ConversionState,
  ConversionStatus,
  EncryptionMethod,
  EncryptionMode,
  VolumeConversion,
  VolumeProtectorType,
} from './metadata.js';
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
  /** Kept for scripts: `mode` and `conversion` tell what it folds together. */
  state: ConversionState;
  mode: EncryptionMode;
  conversion: ConversionStatus;
  /** Set when the conversion is paused: the direction it resumes in. */
  pausedWhile?: VolumeConversion['pausedWhile'];
  /** Bytes of the volume that are encrypted, from its start. */
  encryptedSize: number;
  /** Size of the image or device, when it can be known. */
  volumeSize?: number;
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
    mode: volume.conversion.mode,
    conversion: volume.conversion.status,
    ...(volume.conversion.pausedWhile ? { pausedWhile: volume.conversion.pausedWhile } : {}),
    encryptedSize: volume.conversion.encryptedSize,
    ...(volume.volumeSize === undefined ? {} : { volumeSize: volume.volumeSize }),
    kind: volume.header.kind,
  };
  if (metadata.createdAt) inspection.createdAt = metadata.createdAt.toISOString();
  return inspection;
}
