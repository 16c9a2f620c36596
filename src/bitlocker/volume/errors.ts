import { BitLockerFormatError } from '../errors.js';

/**
 * The volume is not BitLocker, or its on-disk structures are damaged or inconsistent. Every
 * problem the volume parser finds in untrusted bytes is reported as this type (never as a
 * RangeError or TypeError), so callers can tell a bad volume from a bug.
 */
export class VolumeFormatError extends BitLockerFormatError {}

/**
 * The volume is BitLocker and readable, but in a state or format Keyhold does not decrypt:
 * used-space-only (encrypt-on-write), partially encrypted, Vista, an unknown cipher.
 */
export class UnsupportedVolumeError extends BitLockerFormatError {}
