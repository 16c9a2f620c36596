import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { addHelpAfter } from '../help-text.js';
import { volumeMessages } from '../volume/messages.js';
import { addSecretOptions } from '../volume/secret-flags.js';
import type { UnlockFlags } from '../volume/unlock-command.js';

export function registerUnlock(program: Command): void {
  const command = program
    .command('unlock')
    .description(
      say({
        en: 'Decrypt a BitLocker volume with a key and write the plain volume image',
        nb: 'Dekrypter et BitLocker-volum med en nøkkel og skriv det ukrypterte volumbildet',
      }),
    )
    .argument('<image|device>', say(volumeMessages.volumeArgument));
  addSecretOptions(command)
    .requiredOption(
      '--out <file|->',
      say({
        en: 'where to write the decrypted volume; "-" is standard output',
        nb: 'hvor det dekrypterte volumet skal skrives; "-" er standard ut',
      }),
    )
    .option(
      '--force',
      say({ en: 'replace an existing output file', nb: 'erstatt en eksisterende utdatafil' }),
    )
    .option(
      '--json',
      say({
        en: 'print {"out","bytes","volumeGuid","protectorId","seconds"} when done',
        nb: 'skriv ut {"out","bytes","volumeGuid","protectorId","seconds"} når det er ferdig',
      }),
    )
    .option(
      '--threads <n>',
      say({
        en: 'chunks decrypted at once (default: one per core)',
        nb: 'antall biter som dekrypteres samtidig (standard: én per kjerne)',
      }),
    )
    .option(
      '--verbose',
      say({
        en: 'say on standard error whether the native addon or WebAssembly decrypts',
        nb: 'si på standard feil om det native tillegget eller WebAssembly dekrypterer',
      }),
    );
  addHelpAfter(command, {
    about: {
      en: `Streams with constant memory and shows progress on a terminal; decrypts --threads chunks at
once, with the native addon on Node's thread pool when it is built, otherwise with WebAssembly on
worker threads (KEYHOLD_NATIVE=0 forces WebAssembly). The output file appears only when the
whole volume is written. Used-space-only and partially encrypted volumes, and volumes
that only a TPM or smart card can open, are refused with the reason.`,
      nb: `Strømmer med konstant minnebruk og viser framdriften i en terminal; dekrypterer --threads biter
samtidig, med det native tillegget i Nodes trådpool når det er bygget, ellers med WebAssembly i
arbeidstråder (KEYHOLD_NATIVE=0 tvinger fram WebAssembly). Utdatafilen dukker først opp når hele
volumet er skrevet. Volumer der bare brukt plass er kryptert, delvis krypterte volumer og volumer
som bare en TPM eller et smartkort kan låse opp, avvises med begrunnelse.`,
    },
    examples: [
      'keyhold unlock disk.img --recovery-password 235818-357951-253979-013365-241120-245575-342914-591910 --out plain.img',
      'sudo keyhold unlock /dev/sdb1 --bek key.BEK --out - | gzip > plain.img.gz',
    ],
  }).action(async (path: string, flags: UnlockFlags) => {
    const { runUnlock } = await import('../volume/unlock-command.js');
    await runUnlock(path, flags);
  });
}
