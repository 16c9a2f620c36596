import {
  generateRecoveryPassword,
  recoveryPasswordToKey,
} from '../../bitlocker/recovery-password.js';
import { printJson, printLine } from '../output.js';

export interface KeyGenerateFlags {
  json?: boolean;
}

export function runKeyGenerate(flags: KeyGenerateFlags): void {
  const recoveryPassword = generateRecoveryPassword();
  if (flags.json) {
    printJson({
      recoveryPassword,
      keyHex: recoveryPasswordToKey(recoveryPassword).toString('hex'),
    });
  } else {
    printLine(recoveryPassword);
  }
}
