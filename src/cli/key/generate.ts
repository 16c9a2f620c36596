import { recoveryPasswordToKey } from '../../bitlocker/recovery-password.js';
import { generateRecoveryPassword } from '../../bitlocker/recovery-password-generation.js';
import { printJson, printLine } from '../output.js';

export interface KeyGenerateFlags {
  json?: boolean;
}

export function runKeyGenerate(flags: KeyGenerateFlags): void {
  const recoveryPassword = generateRecoveryPassword();
  if (flags.json) {
    printJson({
      recoveryPassword,
      keyHex: Buffer.from(recoveryPasswordToKey(recoveryPassword)).toString('hex'),
    });
  } else {
    printLine(recoveryPassword);
  }
}
