import type { Command } from 'commander';
import { addSecretOptions, type SecretFlags } from '../volume/secret-flags.js';

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('Check that a key opens a BitLocker volume, without decrypting any data')
    .argument('<image|device>', 'a volume image file or a block device (opened read-only)');
  addSecretOptions(command)
    .option('--json', 'print {"opens","volumeGuid","protectorId","protectorType",...}')
    .addHelpText(
      'after',
      `
Exit 0 and the ID of the protector the key opens; exit 1 when the key does not open the
volume; exit 2 when the key or the volume cannot be used (the message says why).
The key is checked all the way: the volume master key's authentication tag, the volume key,
and the metadata's integrity hash.

Examples:
  keyhold verify disk.img --recovery-password 235818-357951-253979-013365-241120-245575-342914-591910
  keyhold verify /dev/sdb1 --bek /media/usb/4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK
  keyhold verify disk.img --password - < password.txt`,
    )
    .action(async (path: string, flags: SecretFlags & { json?: boolean }) => {
      const { runVerify } = await import('../volume/verify-command.js');
      await runVerify(path, flags);
    });
}
