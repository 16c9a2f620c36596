import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';
import type { KeyCheckFlags } from '../key/check.js';
import type { KeyFileFlags } from '../key/file.js';
import type { KeyGenerateFlags } from '../key/generate.js';

export function registerKey(program: Command): void {
  const key = program.command('key').description(
    say({
      en: 'Generate and check recovery passwords; write recovery key files',
      nb: 'Lag og kontroller gjenopprettingspassord; skriv gjenopprettingsnøkkelfiler',
    }),
  );
  addHelpAfter(key, {
    examples: [
      'keyhold key generate',
      'keyhold key check 235818-357951-253979-013365-241120-245575-342914-591910',
      'keyhold key file --id 64311DEA-4587-4029-924A-BA299647998E --password - --out /media/usb/',
    ],
  });

  const generate = key
    .command('generate')
    .description(
      say({
        en: 'Print a new 48-digit recovery password from a cryptographic random source',
        nb: 'Skriv ut et nytt 48-sifret gjenopprettingspassord fra en kryptografisk tilfeldighetskilde',
      }),
    )
    .option('--json', say(commandLineMessages.printJson('{"recoveryPassword","keyHex"}')));
  addHelpAfter(generate, {
    examples: ['keyhold key generate', 'keyhold key generate --json'],
  }).action(async (flags: KeyGenerateFlags) => {
    const { runKeyGenerate } = await import('../key/generate.js');
    runKeyGenerate(flags);
  });

  const check = key
    .command('check')
    .description(
      say({
        en: 'Check a recovery password as typed (dashes, spaces or none); name each wrong block',
        nb: 'Kontroller et gjenopprettingspassord slik det er skrevet (med bindestreker, mellomrom eller ingenting); nevn hver feil blokk',
      }),
    )
    .argument(
      '<password...>',
      say({
        en: 'the 48 digits, in one or several arguments; "-" reads standard input',
        nb: 'de 48 sifrene, i ett eller flere argumenter; "-" leser standard inn',
      }),
    )
    .option(
      '--json',
      say({
        en: 'print {"valid","normalized","keyHex"} or {"valid":false,"errors":[...]}',
        nb: 'skriv ut {"valid","normalized","keyHex"} eller {"valid":false,"errors":[...]}',
      }),
    );
  addHelpAfter(check, {
    examples: [
      'keyhold key check 235818-357951-253979-013365-241120-245575-342914-591910',
      'keyhold key check 235818 357951 253979 013365 241120 245575 342914 591910 --json',
      'keyhold key check - < key.txt',
    ],
  }).action(async (words: string[], flags: KeyCheckFlags) => {
    const { runKeyCheck } = await import('../key/check.js');
    await runKeyCheck(words, flags);
  });

  const file = key
    .command('file')
    .description(
      say({
        en: 'Write a recovery key file ("BitLocker Recovery Key <ID>.TXT") as Windows does',
        nb: 'Skriv en gjenopprettingsnøkkelfil ("BitLocker Recovery Key <ID>.TXT") slik Windows gjør',
      }),
    )
    .requiredOption(
      '--id <guid>',
      say({
        en: 'the key protector ID (Identifier), with or without braces',
        nb: 'ID-en til nøkkelbeskytteren (Identifier), med eller uten krøllparenteser',
      }),
    )
    .requiredOption(
      '--password <digits>',
      say({
        en: 'the recovery password; "-" reads standard input',
        nb: 'gjenopprettingspassordet; "-" leser standard inn',
      }),
    )
    .option(
      '--out <dir|file>',
      say({
        en: 'folder to write into, or the file name to use (default: here)',
        nb: 'mappen det skal skrives i, eller filnavnet som skal brukes (standard: her)',
      }),
    )
    .option(
      '--lang <language>',
      say({
        en: 'wording of the file: en or nb (Norwegian Bokmål)',
        nb: 'språket i filen: en eller nb (norsk bokmål)',
      }),
      'en',
    )
    .option(
      '--force',
      say({
        en: 'replace an existing file that holds a different key',
        nb: 'erstatt en eksisterende fil som inneholder en annen nøkkel',
      }),
    )
    .option(
      '--json',
      say(commandLineMessages.printJson('{"path","protectorId","language","written"}')),
    );
  addHelpAfter(file, {
    about: {
      en: `Never replaces a file holding another key unless --force is given; writing the same key again
leaves the file as it is.`,
      nb: `Erstatter aldri en fil som inneholder en annen nøkkel, med mindre --force er gitt; å skrive den
samme nøkkelen på nytt lar filen være som den er.`,
    },
    examples: [
      'keyhold key file --id 64311DEA-4587-4029-924A-BA299647998E \\',
      '  --password 235818-357951-253979-013365-241120-245575-342914-591910',
      'keyhold key file --id {64311dea-4587-4029-924a-ba299647998e} --password - --out /media/usb/ --lang nb',
    ],
  }).action(async (flags: KeyFileFlags) => {
    const { runKeyFile } = await import('../key/file.js');
    await runKeyFile(flags);
  });
}
