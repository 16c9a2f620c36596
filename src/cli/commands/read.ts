import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

export function registerRead(program: Command): void {
  const read = program
    .command('read')
    .description(
      say({
        en: 'List the keys in recovery key files, .BEK files, manage-bde or PowerShell output (found by content, not name)',
        nb: 'List opp nøklene i gjenopprettingsnøkkelfiler, .BEK-filer og utdata fra manage-bde eller PowerShell (gjenkjent på innholdet, ikke navnet)',
      }),
    )
    .argument(
      '<file...>',
      say({
        en: 'files to read; "-" reads standard input',
        nb: 'filer som skal leses; "-" leser standard inn',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '[{"protectorId","type","recoveryPassword"?,"volume"?,"source","format"}]',
        ),
      ),
    );
  addHelpAfter(read, {
    about: {
      en: 'When a file holds no readable keys, the message says what it looks like.',
      nb: 'Når en fil ikke inneholder lesbare nøkler, sier meldingen hva den ser ut til å være.',
    },
    examples: [
      'keyhold read "BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT"',
      'keyhold read /media/usb/*.BEK protectors.txt --json',
      'manage-bde -protectors -get C: | keyhold read -',
    ],
  }).action(async (files: string[], flags: { json?: boolean }) => {
    const { runRead } = await import('../key/read.js');
    await runRead(files, flags);
  });
}
