import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';
import { volumeMessages } from '../volume/messages.js';

export function registerInspect(program: Command): void {
  const inspect = program
    .command('inspect')
    .description(
      say({
        en: 'Show a BitLocker volume: GUID, encryption, protectors, metadata copies and conversion state',
        nb: 'Vis et BitLocker-volum: GUID, kryptering, beskyttere, metadatakopier og konverteringstilstand',
      }),
    )
    .argument('<image|device>', say(volumeMessages.volumeArgument))
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"volumeGuid","encryptionMethod","sectorSize","description","protectors":[{"id","type"}],"metadataCopies":[...],"state",...}',
        ),
      ),
    );
  addHelpAfter(inspect, {
    about: {
      en: "Needs no key: everything shown is stored unencrypted in the volume's metadata.",
      nb: 'Trenger ingen nøkkel: alt som vises, er lagret ukryptert i metadataene til volumet.',
    },
    examples: ['keyhold inspect disk.img', 'sudo keyhold inspect /dev/sdb1 --json'],
  }).action(async (path: string, flags: { json?: boolean }) => {
    const { runInspect } = await import('../volume/inspect-command.js');
    await runInspect(path, flags);
  });
}
