import type { Command } from 'commander';
import type { BackupFlags } from '../backup/backup-flags.js';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'Back up a recovery key to your Keyhold account, a USB drive, a file or paper (asks step by step in a terminal)',
    )
    .option('--from <file>', 'take the key from a file `keyhold read` understands; "-" reads stdin')
    .option(
      '--id <key-id>',
      'with --password: the key protector ID; otherwise picks the key (8 characters are enough)',
    )
    .option('--password <digits>', 'the 48-digit recovery password; "-" reads standard input')
    .option('--volume <drive>', 'pick the key of this volume (C:); on Windows, of this computer')
    .option(
      '--image <path>',
      'a BitLocker image or device: save the key only if it opens it (with --password alone, the ID comes from it)',
    )
    .option('--to <list>', 'where to: any of account,usb,file,print, comma-separated')
    .option('--usb <mount-point>', 'the USB drive to write to (default: the only one plugged in)')
    .option('--file <path|dir>', 'the file to write, or the folder to write it into')
    .option('--printer <name>', 'print the sheet on this CUPS printer (lp -d)')
    .option('--pdf <out.pdf>', 'save the printable sheet as this PDF instead of printing it')
    .option('--lang <language>', 'wording of the file and sheet: en or nb (Norwegian Bokmål)', 'en')
    .option('--paper <size>', 'sheet size: a4 or letter', 'a4')
    .option('--device-name <name>', 'the computer the drive belongs to (default: this one)')
    .option('--account <name>', 'the login to upload to and record backups in (keyhold whoami)')
    .option(
      '--org <name>',
      "with --to account: add the key to this organisation's library (you must be its owner, admin or helpdesk)",
    )
    .option('--yes', 'ask nothing: everything must come from the flags')
    .option(
      '--json',
      'print {"key":{"protectorId","volume"},"results":[{"destination","ok","path"?,"error"?}]}',
    )
    .addHelpText(
      'after',
      `
In a terminal without --yes, backup asks for whatever the flags leave open: which key, where
to, which drive or file. With --yes or without a terminal it asks nothing and fails when
something is missing. Each destination is reported on its own line. When you are logged in
(keyhold login), every backup is also recorded with the key in your account. With --org NAME
the key goes to that organisation's library instead (for computers no agent manages), and the
backups are recorded there.

On Windows (run as administrator) the keys of this computer's volumes are offered; elsewhere
give --from or --id with --password.
When some destinations failed, the message names those that succeeded.

Examples:
  keyhold backup
  keyhold backup --from "BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT" \\
    --to usb,print --usb /media/ola/KEYS --pdf sheet.pdf --yes
  manage-bde -protectors -get C: | keyhold backup --from - --to file --file D:\\keys\\ --yes
  keyhold backup --id 64311DEA-4587-4029-924A-BA299647998E --password - --to account,file \\
    --file ~/keys/ --yes
  keyhold backup --image /dev/sdb2 --password - --to usb --usb /media/ola/KEYS --yes
  keyhold backup --volume C: --to account,usb --org "Acme IT" --yes`,
    )
    .action(async (flags: BackupFlags) => {
      const { runBackup } = await import('../backup/backup.js');
      await runBackup(flags);
    });
}
