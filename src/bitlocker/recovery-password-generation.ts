import { randomBytes } from 'node:crypto';
import { keyToRecoveryPassword, recoveryKeyBytes } from './recovery-password.js';

/**
 * A new recovery password from the operating system's cryptographic random generator. Kept
 * apart from the parser, which the web app shares, because it needs Node's crypto module.
 */
export function generateRecoveryPassword(): string {
  return keyToRecoveryPassword(randomBytes(recoveryKeyBytes));
}
