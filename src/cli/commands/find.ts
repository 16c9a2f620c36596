import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { FindFlags } from '../backup/find.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerFind(program: Command): void {
  const find = program
    .command('find')
    .description(
      say({
        en: 'Find a recovery key by its Key ID (the 8 characters the recovery screen shows): in your accounts, on USB drives, in folders',
        nb: 'Finn en gjenopprettingsnøkkel ut fra nøkkel-ID-en (de 8 tegnene gjenopprettingsskjermen viser): i kontoene dine, på USB-minner, i mapper',
      }),
    )
    .argument(
      '<key-id>',
      say({
        en: 'the start of the Key ID, at least 4 characters (e.g. 64311DEA)',
        nb: 'begynnelsen av nøkkel-ID-en, minst 4 tegn (f.eks. 64311DEA)',
      }),
    )
    .option(
      '--in <folder>',
      say({
        en: 'also search this folder (repeatable)',
        nb: 'søk også i denne mappen (kan gjentas)',
      }),
      collect,
      [],
    )
    .option(
      '--no-drives',
      say({
        en: 'do not search the removable drives plugged in',
        nb: 'ikke søk på flyttbare stasjoner som er koblet til',
      }),
    )
    .option(
      '--no-accounts',
      say({
        en: 'do not search the accounts you are logged in to',
        nb: 'ikke søk i kontoene du er logget på',
      }),
    )
    .option(
      '--account <name>',
      say({
        en: 'search only this login (keyhold whoami lists them)',
        nb: 'søk bare i denne påloggingen (keyhold whoami viser dem)',
      }),
    )
    .option(
      '--depth <levels>',
      say({
        en: 'folder levels to look into below each drive or folder',
        nb: 'antall mappenivåer det søkes i under hver stasjon eller mappe',
      }),
      '4',
    )
    .option(
      '--show',
      say({
        en: 'show the recovery key of each match (asks first for keys held by a server)',
        nb: 'vis gjenopprettingsnøkkelen til hvert treff (spør først for nøkler som ligger på en server)',
      }),
    )
    .option(
      '--yes',
      say({
        en: 'with --show: do not ask before revealing keys held by a server',
        nb: 'med --show: ikke spør før nøkler som ligger på en server, vises',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"matches":[{"where","place","path"?,"server"?,"account"?,"protectorId"}],"problems":[...]}',
        ),
      ),
    );
  addHelpAfter(find, {
    about: {
      en: `Searches the accounts you are logged in to (keyhold login), every mounted removable drive and
the folders given with --in, for recovery key files (.TXT), startup key files (.BEK) and saved
manage-bde or PowerShell output whose Key ID starts with what you typed. Files larger than
64 KB are not opened. Revealing a key held by a server is recorded in that account's activity.
A folder or drive that cannot be opened is named in a warning and not counted as searched.`,
      nb: `Søker i kontoene du er logget på (keyhold login), på hver tilkoblede flyttbare stasjon og i
mappene gitt med --in etter gjenopprettingsnøkkelfiler (.TXT), oppstartsnøkkelfiler (.BEK) og
lagret utdata fra manage-bde eller PowerShell der nøkkel-ID-en begynner med det du skrev. Filer
større enn 64 KB åpnes ikke. Når en nøkkel som ligger på en server vises, registreres det i
aktiviteten til den kontoen. En mappe eller stasjon som ikke kan åpnes, nevnes i en advarsel og
regnes ikke som gjennomsøkt.`,
    },
    examples: [
      'keyhold find 64311DEA',
      'keyhold find 6431 --in ~/Documents --in /mnt/backup --no-accounts',
      'keyhold find 64311DEA --show --account work',
    ],
  }).action(async (keyId: string, flags: FindFlags) => {
    const { runFind } = await import('../backup/find.js');
    await runFind(keyId, flags);
  });
}
