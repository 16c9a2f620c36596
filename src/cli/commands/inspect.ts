import type { Command } from 'commander';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'Show a BitLocker volume: GUID, encryption, protectors, metadata copies and conversion state',
    )
    .argument('<image|device>', 'a volume image file or a block device (opened read-only)')
    .option(
      '--json',
      'print {"volumeGuid","encryptionMethod","sectorSize","description","protectors":[{"id","type"}],"metadataCopies":[...],"state",...}',
    )
    .addHelpText(
      'after',
      `
Needs no key: everything shown is stored unencrypted in the volume's metadata.

Examples:
  keyhold inspect disk.img
  sudo keyhold inspect /dev/sdb1 --json`,
    )
    .action(async (path: string, flags: { json?: boolean }) => {
      const { runInspect } = await import('../volume/inspect-command.js');
      await runInspect(path, flags);
    });
}
