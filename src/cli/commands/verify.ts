import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';
import { volumeMessages } from '../volume/messages.js';
import { addSecretOptions } from '../volume/secret-flags.js';
import type { VerifyFlags } from '../volume/verify-command.js';

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description(
      say({
        en: 'Check that a key opens a BitLocker volume, without decrypting any data',
        nb: 'Kontroller at en nøkkel låser opp et BitLocker-volum, uten å dekryptere noen data',
      }),
    )
    .argument('<image|device>', say(volumeMessages.volumeArgument));
  addSecretOptions(command)
    .option(
      '--from-account <key-id>',
      say({
        en: 'fetch the recovery password from your logged-in account by Key ID or its first 8 characters (the reveal is recorded in the account)',
        nb: 'hent gjenopprettingspassordet fra kontoen du er logget på, ut fra nøkkel-ID-en eller de 8 første tegnene i den (visningen registreres i kontoen)',
      }),
    )
    .option(
      '--account <name>',
      say({
        en: 'which login to use with --from-account (see keyhold whoami)',
        nb: 'hvilken pålogging som skal brukes med --from-account (se keyhold whoami)',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson('{"opens","volumeGuid","protectorId","protectorType",...}'),
      ),
    )
    .option(
      '--verbose',
      say({
        en: 'say on standard error whether the native addon or WebAssembly runs',
        nb: 'si på standard feil om det native tillegget eller WebAssembly kjører',
      }),
    );
  addHelpAfter(command, {
    about: {
      en: `Prints the ID of the protector the key opens; when the key or the volume cannot be used, the
message says why. The key is checked all the way: the volume master key's authentication tag, the volume key,
and the metadata's integrity hash.
With --from-account the recovery password comes from the account you logged in to with
keyhold login and is never shown.`,
      nb: `Skriver ut ID-en til beskytteren nøkkelen låser opp; når nøkkelen eller volumet ikke kan brukes,
sier meldingen hvorfor. Nøkkelen kontrolleres hele veien: autentiseringsmerket til volumets
hovednøkkel, volumnøkkelen og integritetshashen til metadataene.
Med --from-account kommer gjenopprettingspassordet fra kontoen du logget på med keyhold login,
og det vises aldri.`,
    },
    examples: [
      'keyhold verify disk.img --recovery-password 235818-357951-253979-013365-241120-245575-342914-591910',
      'keyhold verify /dev/sdb1 --bek /media/usb/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK',
      'keyhold verify disk.img --password - < password.txt',
      'keyhold verify /dev/sdb1 --from-account 64311DEA',
    ],
  }).action(async (path: string, flags: VerifyFlags) => {
    const { runVerify } = await import('../volume/verify-command.js');
    await runVerify(path, flags);
  });
}
