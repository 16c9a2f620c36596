import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';

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
      say({
        en: 'the 48-digit recovery password (dashes optional); "-" reads standard input',
        nb: 'det 48-sifrede gjenopprettingspassordet (bindestreker valgfrie); "-" leser standard inn',
      }),
    )
    .option(
      '--password <password>',
      say({
        en: 'the volume password; "-" reads standard input',
        nb: 'passordet til volumet; "-" leser standard inn',
      }),
    )
    .option(
      '--bek <file>',
      say({ en: 'a startup key file (.BEK)', nb: 'en oppstartsnøkkelfil (.BEK)' }),
    )
    .option(
      '--clear-key',
      say({
        en: 'use the clear key of a volume whose protection is suspended',
        nb: 'bruk den ukrypterte nøkkelen (clear key) til et volum der beskyttelsen er stanset midlertidig',
      }),
    );
}
