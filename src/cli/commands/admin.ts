import { Option, type Command } from 'commander';
import type { AdminFlags, MigrateFlags } from '../server/admin.js';
import type { BackupFlags, RestoreFlags, VerifyFlags } from '../server/operations.js';

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
    .option('--dry-run', 'list the migrations that would run, and change nothing')
    .addOption(new Option('--backup-before-migrate').hideHelp())
    .option(
      '--no-backup-before-migrate',
      'SQLite: skip the backup into <data-dir>/backups before migrating (KEYHOLD_BACKUP_BEFORE_MIGRATE=false)',
    )
    .addHelpText(
      'after',
      '\nAll pending migrations run in one transaction: a failure leaves the schema as it was.\n\n' +
        'Examples:\n  keyhold admin migrate --dry-run\n  keyhold admin migrate\n  keyhold admin migrate --database-url postgres://keyhold@db/keyhold',
    )
    .action(async (flags: MigrateFlags) => {
      if (flags.dryRun) {
        const { runMigrateDryRun } = await import('../server/operations.js');
        await runMigrateDryRun(flags);
        return;
      }
      const { runMigrate } = await import('../server/admin.js');
      await runMigrate(flags);
    });

  withDataFlags(admin.command('backup'))
    .description('Write a consistent backup of the database while servers keep running')
    .requiredOption('--out <file>', 'the backup file to write (replaced atomically if it exists)')
    .option('--with-master-key', 'seal the master key into the backup under a passphrase')
    .option(
      '--passphrase-file <file>',
      'with --with-master-key: read the passphrase from this file instead of asking twice',
    )
    .addHelpText(
      'after',
      '\nSQLite is copied with its online backup API; PostgreSQL with pg_dump (custom format), which\n' +
        'must be on the PATH. Without --with-master-key the backup says which key file it needs.\n\n' +
        'Examples:\n  keyhold admin backup --out /var/backups/keyhold/$(date +%F).keyhold-backup\n' +
        '  keyhold admin backup --out keyhold.backup --with-master-key --passphrase-file /root/backup-passphrase',
    )
    .action(async (flags: BackupFlags) => {
      const { runBackup } = await import('../server/operations.js');
      await runBackup(flags);
    });

  withDataFlags(admin.command('restore'))
    .description('Restore a backup into an empty data folder, after checking all of it')
    .argument('<file>', 'the backup file')
    .option('--passphrase-file <file>', 'the passphrase of a backup taken --with-master-key')
    .addHelpText(
      'after',
      '\nChecks the checksum, the master key against every sealed secret and the audit chain before\n' +
        'anything is written; refuses an inconsistent backup and says what is wrong.\n\n' +
        'Examples:\n  keyhold admin restore nightly.keyhold-backup --data-dir /var/lib/keyhold-restored\n' +
        '  keyhold admin restore nightly.keyhold-backup --data-dir /srv/k --master-key-file /safe/master.key',
    )
    .action(async (file: string, flags: RestoreFlags) => {
      const { runRestore } = await import('../server/operations.js');
      await runRestore(file, flags);
    });

  withDataFlags(admin.command('verify-backup'))
    .description('Make every check a restore makes, writing nothing (for a nightly job)')
    .argument('<file>', 'the backup file')
    .option('--passphrase-file <file>', 'the passphrase of a backup taken --with-master-key')
    .option(
      '--scratch-database-url <url>',
      'PostgreSQL backups: a server where a temporary database may be created for the full checks (env KEYHOLD_SCRATCH_DATABASE_URL)',
    )
    .addHelpText(
      'after',
      '\nExit code 0: the backup can be restored; 1: it cannot, and the message says why.\n' +
        'A PostgreSQL backup has its secrets, audit chain and counts checked only with\n' +
        '--scratch-database-url: it is restored into a temporary database there, which is dropped again.\n\n' +
        'Examples:\n  keyhold admin verify-backup nightly.keyhold-backup --master-key-file /safe/master.key\n' +
        '  keyhold admin verify-backup nightly.keyhold-backup --scratch-database-url postgres://keyhold@db/scratch',
    )
    .action(async (file: string, flags: VerifyFlags) => {
      const { runVerifyBackup } = await import('../server/operations.js');
      await runVerifyBackup(file, flags);
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
