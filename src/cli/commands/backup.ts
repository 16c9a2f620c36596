import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { BackupFlags } from '../backup/backup-flags.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

export function registerBackup(program: Command): void {
  const backup = program
    .command('backup')
    .description(
      say({
        en: 'Back up a recovery key to your Keyhold account, a USB drive, a file or paper (asks step by step in a terminal)',
        nb: 'Sikkerhetskopier en gjenopprettingsnøkkel til Keyhold-kontoen din, et USB-minne, en fil eller papir (spør trinn for trinn i en terminal)',
      }),
    )
    .option(
      '--from <file>',
      say({
        en: 'take the key from a file `keyhold read` understands; "-" reads stdin',
        nb: 'hent nøkkelen fra en fil `keyhold read` forstår; "-" leser standard inn',
      }),
    )
    .option(
      '--id <key-id>',
      say({
        en: 'with --password: the key protector ID; otherwise picks the key (8 characters are enough)',
        nb: 'med --password: ID-en til nøkkelbeskytteren; ellers velger den nøkkelen (8 tegn holder)',
      }),
    )
    .option(
      '--password <digits>',
      say({
        en: 'the 48-digit recovery password; "-" reads standard input',
        nb: 'det 48-sifrede gjenopprettingspassordet; "-" leser standard inn',
      }),
    )
    .option(
      '--volume <drive>',
      say({
        en: 'pick the key of this volume (C:); on Windows, of this computer',
        nb: 'velg nøkkelen til dette volumet (C:); i Windows, på denne datamaskinen',
      }),
    )
    .option(
      '--image <path>',
      say({
        en: 'a BitLocker image or device: save the key only if it opens it (with --password alone, the ID comes from it)',
        nb: 'et BitLocker-bilde eller en BitLocker-enhet: lagre nøkkelen bare hvis den låser det opp (med bare --password hentes ID-en derfra)',
      }),
    )
    .option(
      '--to <list>',
      say({
        en: 'where to: any of account,usb,file,print, comma-separated',
        nb: 'hvor: hvilke som helst av account,usb,file,print, skilt med komma',
      }),
    )
    .option(
      '--usb <mount-point>',
      say({
        en: 'the USB drive to write to (default: the only one plugged in)',
        nb: 'USB-minnet det skal skrives til (standard: det eneste som er koblet til)',
      }),
    )
    .option(
      '--file <path|dir>',
      say({
        en: 'the file to write, or the folder to write it into',
        nb: 'filen som skal skrives, eller mappen den skal skrives i',
      }),
    )
    .option(
      '--printer <name>',
      say({
        en: 'print the sheet on this CUPS printer (lp -d)',
        nb: 'skriv ut arket på denne CUPS-skriveren (lp -d)',
      }),
    )
    .option(
      '--pdf <out.pdf>',
      say({
        en: 'save the printable sheet as this PDF instead of printing it',
        nb: 'lagre utskriftsarket som denne PDF-en i stedet for å skrive det ut',
      }),
    )
    .option(
      '--lang <language>',
      say({
        en: 'wording of the file and sheet: en or nb (Norwegian Bokmål)',
        nb: 'språket i filen og på arket: en eller nb (norsk bokmål)',
      }),
      'en',
    )
    .option(
      '--paper <size>',
      say({ en: 'sheet size: a4 or letter', nb: 'arkstørrelse: a4 eller letter' }),
      'a4',
    )
    .option(
      '--device-name <name>',
      say({
        en: 'the computer the drive belongs to (default: this one)',
        nb: 'datamaskinen stasjonen hører til (standard: denne)',
      }),
    )
    .option(
      '--account <name>',
      say({
        en: 'the login to upload to and record backups in (keyhold whoami)',
        nb: 'påloggingen nøkkelen lastes opp til og sikkerhetskopiene registreres i (keyhold whoami)',
      }),
    )
    .option(
      '--org <name>',
      say({
        en: "with --to account: add the key to this organisation's library (you must be its owner, admin or helpdesk)",
        nb: 'med --to account: legg nøkkelen i biblioteket til denne organisasjonen (du må være eier, administrator eller brukerstøtte der)',
      }),
    )
    .option(
      '--yes',
      say({
        en: 'ask nothing: everything must come from the flags',
        nb: 'ikke spør om noe: alt må komme fra valgene',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"key":{"protectorId","volume"},"results":[{"destination","ok","path"?,"error"?}]}',
        ),
      ),
    );
  addHelpAfter(backup, {
    about: {
      en: `In a terminal without --yes, backup asks for whatever the flags leave open: which key, where
to, which drive or file. With --yes or without a terminal it asks nothing and fails when
something is missing. Each destination is reported on its own line. When you are logged in
(keyhold login), every backup is also recorded with the key in your account. With --org NAME
the key goes to that organisation's library instead (for computers no agent manages), and the
backups are recorded there.

On Windows (run as administrator) the keys of this computer's volumes are offered; elsewhere
give --from or --id with --password.
When some destinations failed, the message names those that succeeded.`,
      nb: `I en terminal uten --yes spør backup om det valgene lar stå åpent: hvilken nøkkel, hvor den
skal, hvilken stasjon eller fil. Med --yes eller uten terminal spør den ikke om noe, og feiler
når noe mangler. Hvert mål rapporteres på en egen linje. Når du er logget på (keyhold login),
registreres hver sikkerhetskopi også sammen med nøkkelen i kontoen din. Med --org NAVN havner
nøkkelen i stedet i biblioteket til den organisasjonen (for datamaskiner ingen agent styrer),
og sikkerhetskopiene registreres der.

I Windows (kjørt som administrator) tilbys nøklene til volumene på denne datamaskinen; ellers
oppgir du --from, eller --id med --password.
Når noen av målene feilet, nevner meldingen dem som lyktes.`,
    },
    examples: [
      'keyhold backup',
      'keyhold backup --from "BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT" \\',
      '  --to usb,print --usb /media/ola/KEYS --pdf sheet.pdf --yes',
      'manage-bde -protectors -get C: | keyhold backup --from - --to file --file D:\\keys\\ --yes',
      'keyhold backup --id 64311DEA-4587-4029-924A-BA299647998E --password - --to account,file \\',
      '  --file ~/keys/ --yes',
      'keyhold backup --image /dev/sdb2 --password - --to usb --usb /media/ola/KEYS --yes',
      'keyhold backup --volume C: --to account,usb --org "Acme IT" --yes',
    ],
  }).action(async (flags: BackupFlags) => {
    const { runBackup } = await import('../backup/backup.js');
    await runBackup(flags);
  });
}
