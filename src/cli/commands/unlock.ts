import type { Command } from 'commander';
import { addSecretOptions } from '../volume/secret-flags.js';
import type { UnlockFlags } from '../volume/unlock-command.js';

export function registerUnlock(program: Command): void {
  const command = program
    .command('unlock')
    .description('Decrypt a BitLocker volume with a key and write the plain volume image')
    .argument('<image|device>', 'a volume image file or a block device (opened read-only)');
  addSecretOptions(command)
    .requiredOption('--out <file|->', 'where to write the decrypted volume; "-" is standard output')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print {"out","bytes","volumeGuid","protectorId","seconds"} when done')
    .option('--threads <n>', 'chunks decrypted at once (default: one per core)')
    .option('--verbose', 'say on standard error whether the native addon or WebAssembly decrypts')
    .addHelpText(
      'after',
      `
Streams with constant memory and shows progress on a terminal; decrypts --threads chunks at
once, with the native addon on Node's thread pool when it is built, otherwise with WebAssembly on
worker threads (KEYHOLD_NATIVE=0 forces WebAssembly). The output file appears only when the
whole volume is written. Used-space-only and partially encrypted volumes, and volumes
that only a TPM or smart card can open, are refused with the reason.

Examples:
  keyhold unlock disk.img --recovery-password 235818-357951-253979-013365-241120-245575-342914-591910 --out plain.img
  sudo keyhold unlock /dev/sdb1 --bek key.BEK --out - | gzip > plain.img.gz`,
    )
    .action(async (path: string, flags: UnlockFlags) => {
      const { runUnlock } = await import('../volume/unlock-command.js');
      await runUnlock(path, flags);
    });
}
