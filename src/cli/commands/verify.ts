import type { Command } from 'commander';
import { addSecretOptions } from '../volume/secret-flags.js';
import type { VerifyFlags } from '../volume/verify-command.js';

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('Check that a key opens a BitLocker volume, without decrypting any data')
    .argument('<image|device>', 'a volume image file or a block device (opened read-only)');
  addSecretOptions(command)
    .option(
      '--from-account <key-id>',
      'fetch the recovery password from your logged-in account by Key ID or its first 8 characters (the reveal is recorded in the account)',
    )
    .option('--account <name>', 'which login to use with --from-account (see keyhold whoami)')
    .option('--json', 'print {"opens","volumeGuid","protectorId","protectorType",...}')
    .option('--verbose', 'say on standard error whether the native addon or WebAssembly runs')
    .addHelpText(
      'after',
      `
Prints the ID of the protector the key opens; when the key or the volume cannot be used, the
message says why. The key is checked all the way: the volume master key's authentication tag, the volume key,
and the metadata's integrity hash.
With --from-account the recovery password comes from the account you logged in to with
keyhold login and is never shown.

Examples:
  keyhold verify disk.img --recovery-password 235818-357951-253979-013365-241120-245575-342914-591910
  keyhold verify /dev/sdb1 --bek /media/usb/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK
  keyhold verify disk.img --password - < password.txt
  keyhold verify /dev/sdb1 --from-account 64311DEA`,
    )
    .action(async (path: string, flags: VerifyFlags) => {
      const { runVerify } = await import('../volume/verify-command.js');
      await runVerify(path, flags);
    });
}
