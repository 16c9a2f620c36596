import type { Command } from 'commander';
import type { AdminFlags } from '../server/admin.js';

/** The flags that say which server's data an admin command works on. */
function withDataFlags(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the server data directory (KEYHOLD_DATA_DIR)')
    .option(
      '--database-url <url>',
      'postgres://... when the server uses PostgreSQL (KEYHOLD_DATABASE_URL)',
    )
    .option('--master-key-file <file>', 'the master key file (KEYHOLD_MASTER_KEY_FILE)')
    .option('--json', 'print the result as JSON');
}

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('Look after a Keyhold server: database, master key, audit log, organisations');

  withDataFlags(admin.command('migrate'))
    .description('Bring the database schema up to date (the server also does this at start)')
    .addHelpText(
      'after',
      '\nExamples:\n  keyhold admin migrate\n  keyhold admin migrate --database-url postgres://keyhold@db/keyhold',
    )
    .action(async (flags: AdminFlags) => {
      const { runMigrate } = await import('../server/admin.js');
      await runMigrate(flags);
    });

  withDataFlags(admin.command('rotate-master-key'))
    .description('Make a new master key and re-wrap every data key with it; safe while servers run')
    .option('--keep-old', 'keep the old key versions in the key file')
    .addHelpText(
      'after',
      '\nThe old key versions are removed from the key file afterwards (unless --keep-old); database\n' +
        'backups taken before the rotation need the old key file, so keep a copy with them.\n\n' +
        'Examples:\n  keyhold admin rotate-master-key\n  keyhold admin rotate-master-key --master-key-file /etc/keyhold/master.key --json',
    )
    .action(async (flags: AdminFlags & { keepOld?: boolean }) => {
      const { runRotateMasterKey } = await import('../server/admin.js');
      await runRotateMasterKey(flags);
    });

  withDataFlags(admin.command('verify-audit'))
    .description('Check the audit log hash chain and name the first broken link')
    .addHelpText(
      'after',
      '\nExamples:\n  keyhold admin verify-audit\n  keyhold admin verify-audit --json',
    )
    .action(async (flags: AdminFlags) => {
      const { runVerifyAudit } = await import('../server/admin.js');
      await runVerifyAudit(flags);
    });

  withDataFlags(admin.command('create-org'))
    .description('Create an organisation with an existing account as its owner')
    .requiredOption('--name <name>', 'the organisation name')
    .requiredOption('--owner <email>', 'email of the account that becomes its owner')
    .addHelpText(
      'after',
      '\nExamples:\n  keyhold admin create-org --name "Acme IT" --owner ada@acme.example',
    )
    .action(async (flags: AdminFlags & { name: string; owner: string }) => {
      const { runCreateOrg } = await import('../server/admin.js');
      await runCreateOrg(flags);
    });
}
