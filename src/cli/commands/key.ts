import type { Command } from 'commander';
import type { KeyCheckFlags } from '../key/check.js';
import type { KeyFileFlags } from '../key/file.js';
import type { KeyGenerateFlags } from '../key/generate.js';

export function registerKey(program: Command): void {
  const key = program
    .command('key')
    .description('Generate and check recovery passwords; write recovery key files')
    .addHelpText(
      'after',
      `
Examples:
  keyhold key generate
  keyhold key check 235818-357951-253979-013365-241120-245575-342914-591910
  keyhold key file --id 64311DEA-4587-4029-924A-BA299647998E --password - --out /media/usb/`,
    );

  key
    .command('generate')
    .description('Print a new 48-digit recovery password from a cryptographic random source')
    .option('--json', 'print {"recoveryPassword","keyHex"}')
    .addHelpText('after', '\nExamples:\n  keyhold key generate\n  keyhold key generate --json')
    .action(async (flags: KeyGenerateFlags) => {
      const { runKeyGenerate } = await import('../key/generate.js');
      runKeyGenerate(flags);
    });

  key
    .command('check')
    .description(
      'Check a recovery password as typed (dashes, spaces or none); name each wrong block',
    )
    .argument(
      '<password...>',
      'the 48 digits, in one or several arguments; "-" reads standard input',
    )
    .option('--json', 'print {"valid","normalized","keyHex"} or {"valid":false,"errors":[...]}')
    .addHelpText(
      'after',
      `
Examples:
  keyhold key check 235818-357951-253979-013365-241120-245575-342914-591910
  keyhold key check 235818 357951 253979 013365 241120 245575 342914 591910 --json
  keyhold key check - < key.txt`,
    )
    .action(async (words: string[], flags: KeyCheckFlags) => {
      const { runKeyCheck } = await import('../key/check.js');
      await runKeyCheck(words, flags);
    });

  key
    .command('file')
    .description('Write a recovery key file ("BitLocker Recovery Key <ID>.TXT") as Windows does')
    .requiredOption('--id <guid>', 'the key protector ID (Identifier), with or without braces')
    .requiredOption('--password <digits>', 'the recovery password; "-" reads standard input')
    .option('--out <dir|file>', 'folder to write into, or the file name to use (default: here)')
    .option('--lang <language>', 'wording of the file: en or nb (Norwegian Bokmål)', 'en')
    .option('--force', 'replace an existing file that holds a different key')
    .option('--json', 'print {"path","protectorId","language","written"}')
    .addHelpText(
      'after',
      `
Never replaces a file holding another key unless --force is given; writing the same key again
leaves the file as it is.

Examples:
  keyhold key file --id 64311DEA-4587-4029-924A-BA299647998E \\
    --password 235818-357951-253979-013365-241120-245575-342914-591910
  keyhold key file --id {64311dea-4587-4029-924a-ba299647998e} --password - --out /media/usb/ --lang nb`,
    )
    .action(async (flags: KeyFileFlags) => {
      const { runKeyFile } = await import('../key/file.js');
      await runKeyFile(flags);
    });
}
