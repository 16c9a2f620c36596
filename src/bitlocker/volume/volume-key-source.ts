import type { KeySource } from '../key-sources.js';
import { bitLockerMessages } from '../messages.js';
import type { ProtectorType } from '../protector-id.js';
import { parseVolumeHeader, volumeHeaderSize, type VolumeProtectorType } from './metadata.js';
import { readBitLockerVolume } from './volume.js';

/** The volume's protector types as `keyhold read` names them for every other source. */
const readTypes: Readonly<Record<VolumeProtectorType, ProtectorType>> = {
  'recovery-password': 'recovery-password',
  password: 'password',
  'startup-key': 'external-key',
  tpm: 'tpm',
  'tpm-pin': 'tpm-pin',
  'smart-card': 'certificate',
  'clear-key': 'clear-key',
  unknown: 'unknown',
};

function looksLikeBitLockerVolume(head: Uint8Array): boolean {
  try {
    parseVolumeHeader(head.subarray(0, volumeHeaderSize));
    return true;
  } catch {
    return false;
  }
}

/**
 * BitLocker volume images for `keyhold read`: the protector IDs stored in the volume's
 * metadata (no key needed), each with the volume GUID.
 */
export const bitLockerVolumeSource: KeySource = {
  format: 'bitlocker-volume',
  description: bitLockerMessages.volumeSource,
  matches: (head) => looksLikeBitLockerVolume(head.bytes),
  async read(source) {
    const metadata = (await readBitLockerVolume(source)).metadata[0];
    return metadata.protectors.map((protector) => ({
      protectorId: protector.id,
      type: readTypes[protector.type],
      volume: metadata.volumeGuid,
    }));
  },
};
