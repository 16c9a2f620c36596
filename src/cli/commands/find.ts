import type { Command } from 'commander';
import type { FindFlags } from '../backup/find.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerFind(program: Command): void {
  program
    .command('find')
    .description(
      'Find a recovery key by its Key ID (the 8 characters the recovery screen shows): in your accounts, on USB drives, in folders',
    )
    .argument('<key-id>', 'the start of the Key ID, at least 4 characters (e.g. 64311DEA)')
    .option('--in <folder>', 'also search this folder (repeatable)', collect, [])
    .option('--no-drives', 'do not search the removable drives plugged in')
    .option('--no-accounts', 'do not search the accounts you are logged in to')
    .option('--account <name>', 'search only this login (keyhold whoami lists them)')
    .option('--depth <levels>', 'folder levels to look into below each drive or folder', '4')
    .option('--show', 'show the recovery key of each match (asks first for keys held by a server)')
    .option('--yes', 'with --show: do not ask before revealing keys held by a server')
    .option(
      '--json',
      'print {"matches":[{"where","place","path"?,"server"?,"account"?,"protectorId"}],"problems":[...]}',
    )
    .addHelpText(
      'after',
      `
Searches the accounts you are logged in to (keyhold login), every mounted removable drive and
the folders given with --in, for recovery key files (.TXT), startup key files (.BEK) and saved
manage-bde or PowerShell output whose Key ID starts with what you typed. Files larger than
64 KB are not opened. Revealing a key held by a server is recorded in that account's activity.
A folder or drive that cannot be opened is named in a warning and not counted as searched.

Examples:
  keyhold find 64311DEA
  keyhold find 6431 --in ~/Documents --in /mnt/backup --no-accounts
  keyhold find 64311DEA --show --account work`,
    )
    .action(async (keyId: string, flags: FindFlags) => {
      const { runFind } = await import('../backup/find.js');
      await runFind(keyId, flags);
    });
}
