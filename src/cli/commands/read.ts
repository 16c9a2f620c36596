import type { Command } from 'commander';

export function registerRead(program: Command): void {
  program
    .command('read')
    .description(
      'List the keys in recovery key files, .BEK files, manage-bde or PowerShell output (found by content, not name)',
    )
    .argument('<file...>', 'files to read; "-" reads standard input')
    .option(
      '--json',
      'print [{"protectorId","type","recoveryPassword"?,"volume"?,"source","format"}]',
    )
    .addHelpText(
      'after',
      `
When a file holds no readable keys, the message says what it looks like.

Examples:
  keyhold read "BitLocker Recovery Key 64311DEA-4587-4029-924A-BA299647998E.TXT"
  keyhold read /media/usb/*.BEK protectors.txt --json
  manage-bde -protectors -get C: | keyhold read -`,
    )
    .action(async (files: string[], flags: { json?: boolean }) => {
      const { runRead } = await import('../key/read.js');
      await runRead(files, flags);
    });
}
