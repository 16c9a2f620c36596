import type { Command } from 'commander';

/** The ways to give `verify` and `unlock` the secret that opens a volume (exactly one). */
export interface SecretFlags {
  recoveryPassword?: string;
  password?: string;
  bek?: string;
  clearKey?: boolean;
}

export function addSecretOptions(command: Command): Command {
  return command
    .option(
      '--recovery-password <digits>',
      'the 48-digit recovery password (dashes optional); "-" reads standard input',
    )
    .option('--password <password>', 'the volume password; "-" reads standard input')
    .option('--bek <file>', 'a startup key file (.BEK)')
    .option('--clear-key', 'use the clear key of a volume whose protection is suspended');
}
