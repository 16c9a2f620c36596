import type { ByteSource } from '../byte-source.js';
import { BitLockerFormatError } from '../errors.js';
import type { Wording } from '../../text/wording.js';
import { conversionRefusal, type RefusedConversion } from './conversion-wording.js';
import { UnsupportedVolumeError, VolumeFormatError } from './errors.js';
import { volumeFormatMessages } from './messages.js';
import {
  conversionState,
  metadataAreaSize,
  volumeConversion,
  parseMetadataBlock,
  parseVolumeHeader,
  volumeHeaderSize,
  type ConversionState,
  type FveMetadata,
  type VolumeConversion,
  type VolumeHeader,
  type VolumeProtector,
  type VolumeProtectorType,
} from './metadata.js';
import {
  decryptFvek,
  decryptVmk,
  metadataIntegrityMatches,
  ProtectorKeyDeriver,
  protectorTypeForSecret,
  type VolumeKeys,
  type VolumeSecret,
} from './volume-keys.js';
import { portableCrypto, type VolumeCrypto } from './volume-crypto.js';
import { truncationOf } from './volume-layout.js';

export interface MetadataCopyStatus {
  offset: number;
  /** `bad-crc`: the copy is there but its checksum fails; `damaged`: it cannot be parsed. */
  status: 'good' | 'bad-crc' | 'damaged';
  problem?: string;
}

export interface BitLockerVolume {
  header: VolumeHeader;
  copies: MetadataCopyStatus[];
  /** The copies that passed their checks, in on-disk order; never empty. */
  metadata: [FveMetadata, ...FveMetadata[]];
  /** One word for scripts; {@link BitLockerVolume.conversion} has the mode and progress. */
  state: ConversionState;
  conversion: VolumeConversion;
  /** The size of the image or device, when the source knows it. */
  volumeSize: number | undefined;
}

/** Reads the volume header and every metadata copy, keeping the ones whose checks pass. */
export async function readBitLockerVolume(source: ByteSource): Promise<BitLockerVolume> {
  const header = parseVolumeHeader(await source.read(0, volumeHeaderSize));
  const copies: MetadataCopyStatus[] = [];
  const good: FveMetadata[] = [];
  let unsupported: UnsupportedVolumeError | undefined;
  const problems: Wording[] = [];
  for (const offset of header.metadataOffsets) {
    try {
      good.push(parseMetadataBlock(await source.read(offset, metadataAreaSize), offset));
      copies.push({ offset, status: 'good' });
    } catch (error) {
      if (!(error instanceof BitLockerFormatError)) throw error;
      if (error instanceof UnsupportedVolumeError) unsupported ??= error;
      const status = error.code === 'metadata-crc-mismatch' ? 'bad-crc' : 'damaged';
      copies.push({ offset, status, problem: error.message });
      problems.push(error.wording);
    }
  }
  const [first, ...rest] = good;
  if (!first) {
    if (unsupported) throw unsupported;
    throw new VolumeFormatError(
      'metadata-damaged',
      volumeFormatMessages.allCopiesDamaged(problems),
    );
  }
  const conversion = volumeConversion(header, first);
  return {
    header,
    copies,
    metadata: [first, ...rest],
    state: conversionState(conversion),
    conversion,
    volumeSize: source.size,
  };
}

export type OpenResult =
  | { opened: true; keys: VolumeKeys; metadata: FveMetadata }
  | {
      opened: false;
      /** `no-matching-protector`: the volume has no protector of the secret's kind. */
      reason: 'wrong-key' | 'no-matching-protector';
      protectors: VolumeProtector[];
    };

/**
 * Tries a secret against the volume's protectors: the VMK's CCM tag must check, the FVEK must
 * decrypt with the VMK, and the metadata copy must match its integrity hash. A copy whose hash
 * does not match is skipped for the next one.
 */
export function openVolume(
  volume: BitLockerVolume,
  secret: VolumeSecret,
  crypto: VolumeCrypto = portableCrypto,
): OpenResult {
  const deriver = new ProtectorKeyDeriver(secret, crypto.stretchKey);
  let anyCandidate = false;
  let tampered = false;
  for (const metadata of volume.metadata) {
    for (const protector of deriver.candidates(metadata)) {
      anyCandidate = true;
      const key = deriver.keyFor(protector);
      const vmk = key && decryptVmk(protector, key);
      if (!vmk) continue;
      if (!metadataIntegrityMatches(metadata, vmk)) {
        tampered = true;
        break;
      }
      return { opened: true, keys: { protector, vmk, fvek: decryptFvek(metadata, vmk) }, metadata };
    }
  }
  if (tampered) {
    throw new VolumeFormatError('metadata-tampered', volumeFormatMessages.metadataAltered);
  }
  return {
    opened: false,
    reason: anyCandidate ? 'wrong-key' : 'no-matching-protector',
    protectors: volume.metadata[0].protectors,
  };
}

export interface ProtectorSummary {
  id: string;
  type: VolumeProtectorType;
}

export type KeyCheck =
  | { opens: true; volumeGuid: string; protector: ProtectorSummary }
  | {
      opens: false;
      volumeGuid: string;
      reason: 'wrong-key' | 'no-matching-protector';
      /** The type of protector the secret was tried against. */
      triedType: VolumeProtectorType;
      protectors: ProtectorSummary[];
    };

function summary(protector: VolumeProtector): ProtectorSummary {
  return { id: protector.id, type: protector.type };
}

/**
 * Does this secret open this volume? Reads only the metadata; never decrypts data. Throws
 * {@link BitLockerFormatError} subclasses for volumes or secrets that cannot be used.
 */
export async function verifyVolumeKey(
  source: ByteSource,
  secret: VolumeSecret,
  crypto: VolumeCrypto = portableCrypto,
): Promise<KeyCheck> {
  const volume = await readBitLockerVolume(source);
  const volumeGuid = volume.metadata[0].volumeGuid;
  const result = openVolume(volume, secret, crypto);
  if (result.opened) return { opens: true, volumeGuid, protector: summary(result.keys.protector) };
  return {
    opens: false,
    volumeGuid,
    reason: result.reason,
    triedType: protectorTypeForSecret[secret.kind],
    protectors: result.protectors.map(summary),
  };
}

/**
 * Refuses an image shorter than the volume its metadata describes, before anything is decrypted
 * or written. `sourceSize` is undefined when the size cannot be known (some block devices); a
 * short read is then caught while reading.
 */
export function assertComplete(volume: BitLockerVolume, sourceSize: number | undefined): void {
  const truncation = truncationOf(volume.metadata[0], sourceSize);
  if (truncation) throw truncation;
}

/**
 * `unlock` refuses a volume whose mode or conversion it cannot decrypt exactly. The error
 * carries both, and the sizes, and words the refusal in each language with them.
 */
export class ConversionRefusedError extends UnsupportedVolumeError implements RefusedConversion {
  readonly conversion: VolumeConversion;
  readonly volumeSize: number | undefined;
  /** The raw current and next state fields, named when the pair is unknown. */
  readonly stateCodes: { current: number; next: number };

  constructor(volume: BitLockerVolume) {
    const refused: RefusedConversion = {
      conversion: volume.conversion,
      volumeSize: volume.volumeSize,
      stateCodes: { ...volume.metadata[0].state },
    };
    super(
      volume.conversion.mode === 'used-space-only' ? 'used-space-only' : 'partially-encrypted',
      { en: conversionRefusal(refused, 'en'), nb: conversionRefusal(refused, 'nb') },
    );
    this.conversion = refused.conversion;
    this.volumeSize = refused.volumeSize;
    this.stateCodes = refused.stateCodes;
  }
}

const unusableAlone: readonly VolumeProtectorType[] = ['tpm', 'tpm-pin', 'smart-card'];

/**
 * Refuses, with the reason, volumes whose data Keyhold would decrypt wrongly or not at all.
 * Call before asking for a secret: the reason does not depend on it.
 */
export function assertDecryptable(volume: BitLockerVolume): void {
  const metadata = volume.metadata[0];
  if (volume.state !== 'fully-encrypted') throw new ConversionRefusedError(volume);
  if (!metadata.encryptionMethod) {
    throw new UnsupportedVolumeError(
      'unsupported-encryption-method',
      volumeFormatMessages.unknownMethodCode(metadata.encryptionMethodCode.toString(16)),
    );
  }
  const types = metadata.protectors.map((p) => p.type);
  if (types.length > 0 && types.every((type) => unusableAlone.includes(type))) {
    const names = [...new Set(types)].join(', ');
    throw new UnsupportedVolumeError(
      'no-usable-protector',
      volumeFormatMessages.noUsableProtector(names),
    );
  }
}
