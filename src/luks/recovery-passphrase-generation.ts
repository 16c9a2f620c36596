import { randomInt } from 'node:crypto';
import { luksPassphraseFromGroups, luksPassphraseGroups } from './recovery-passphrase.js';

/** A new LUKS recovery passphrase from the operating system's cryptographic random generator. */
export function generateLuksRecoveryPassphrase(): string {
  return luksPassphraseFromGroups(
    Array.from({ length: luksPassphraseGroups }, () => randomInt(100_000)),
  );
}
