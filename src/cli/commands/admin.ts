import { Option, type Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { addHelpAfter } from '../help-text.js';
import type { AdminFlags, MigrateFlags } from '../server/admin.js';
import { serverMessages } from '../server/messages.js';
import type { BackupFlags, RestoreFlags, VerifyFlags } from '../server/operations.js';

/** The flags that say which server's data an admin command works on. */
function withDataFlags(command: Command): Command {
  return command
    .option(
      '--data-dir <dir>',
      say({
        en: 'the server data directory (KEYHOLD_DATA_DIR)',
        nb: 'serverens datamappe (KEYHOLD_DATA_DIR)',
      }),
    )
    .option(
      '--database-url <url>',
      say({
        en: 'postgres://... when the server uses PostgreSQL (KEYHOLD_DATABASE_URL)',
        nb: 'postgres://... når serveren bruker PostgreSQL (KEYHOLD_DATABASE_URL)',
      }),
    )
    .option(
      '--master-key-file <file>',
      say({
        en: 'the master key file (KEYHOLD_MASTER_KEY_FILE)',
        nb: 'hovednøkkelfilen (KEYHOLD_MASTER_KEY_FILE)',
      }),
    )
    .option('--json', say({ en: 'print the result as JSON', nb: 'skriv ut resultatet som JSON' }));
}

/** The argument of restore and verify-backup. */
function withBackupFile(command: Command): Command {
  return command
    .argument('<file>', say({ en: 'the backup file', nb: 'sikkerhetskopifilen' }))
    .option(
      '--passphrase-file <file>',
      say({
        en: 'the passphrase of a backup taken --with-master-key',
        nb: 'passfrasen til en sikkerhetskopi tatt med --with-master-key',
      }),
    );
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description(
    say({
      en: 'Look after a Keyhold server: database, master key, audit log, organisations',
      nb: 'Vedlikehold en Keyhold-server: database, hovednøkkel, revisjonslogg, organisasjoner',
    }),
  );

  const migrate = withDataFlags(admin.command('migrate'))
    .description(
      say({
        en: 'Bring the database schema up to date (the server also does this at start)',
        nb: 'Oppdater databaseskjemaet (serveren gjør også dette når den starter)',
      }),
    )
    .option(
      '--dry-run',
      say({
        en: 'list the migrations that would run, and change nothing',
        nb: 'vis migreringene som ville blitt kjørt, og endre ingenting',
      }),
    )
    .addOption(new Option('--backup-before-migrate').hideHelp())
    .option('--no-backup-before-migrate', say(serverMessages.skipBackupBeforeMigrate));
  addHelpAfter(migrate, {
    about: {
      en: 'All pending migrations run in one transaction: a failure leaves the schema as it was.',
      nb: 'Alle ventende migreringer kjøres i én transaksjon: en feil lar skjemaet være som det var.',
    },
    examples: [
      'keyhold admin migrate --dry-run',
      'keyhold admin migrate',
      'keyhold admin migrate --database-url postgres://keyhold@db/keyhold',
    ],
  }).action(async (flags: MigrateFlags) => {
    if (flags.dryRun) {
      const { runMigrateDryRun } = await import('../server/operations.js');
      await runMigrateDryRun(flags);
      return;
    }
    const { runMigrate } = await import('../server/admin.js');
    await runMigrate(flags);
  });

  const backup = withDataFlags(admin.command('backup'))
    .description(
      say({
        en: 'Write a consistent backup of the database while servers keep running',
        nb: 'Skriv en konsistent sikkerhetskopi av databasen mens serverne fortsetter å kjøre',
      }),
    )
    .requiredOption(
      '--out <file>',
      say({
        en: 'the backup file to write (replaced atomically if it exists)',
        nb: 'sikkerhetskopifilen som skal skrives (erstattes atomisk hvis den finnes)',
      }),
    )
    .option(
      '--with-master-key',
      say({
        en: 'seal the master key into the backup under a passphrase',
        nb: 'forsegl hovednøkkelen i sikkerhetskopien med en passfrase',
      }),
    )
    .option(
      '--passphrase-file <file>',
      say({
        en: 'with --with-master-key: read the passphrase from this file instead of asking twice',
        nb: 'med --with-master-key: les passfrasen fra denne filen i stedet for å spørre to ganger',
      }),
    );
  addHelpAfter(backup, {
    about: {
      en:
        'SQLite is copied with its online backup API; PostgreSQL with pg_dump (custom format), which\n' +
        'must be on the PATH. Without --with-master-key the backup says which key file it needs.',
      nb:
        'SQLite kopieres med sitt API for sikkerhetskopi under drift; PostgreSQL med pg_dump\n' +
        '(custom-format), som må finnes i PATH. Uten --with-master-key sier sikkerhetskopien hvilken\n' +
        'nøkkelfil den trenger.',
    },
    examples: [
      'keyhold admin backup --out /var/backups/keyhold/$(date +%F).keyhold-backup',
      'keyhold admin backup --out keyhold.backup --with-master-key --passphrase-file /root/backup-passphrase',
    ],
  }).action(async (flags: BackupFlags) => {
    const { runBackup } = await import('../server/operations.js');
    await runBackup(flags);
  });

  const restore = withBackupFile(withDataFlags(admin.command('restore'))).description(
    say({
      en: 'Restore a backup into an empty data folder, after checking all of it',
      nb: 'Gjenopprett en sikkerhetskopi i en tom datamappe, etter å ha kontrollert hele den',
    }),
  );
  addHelpAfter(restore, {
    about: {
      en:
        'Checks the checksum, the master key against every sealed secret and the audit chain before\n' +
        'anything is written; refuses an inconsistent backup and says what is wrong.',
      nb:
        'Kontrollerer sjekksummen, hovednøkkelen mot hver forseglede hemmelighet og revisjonskjeden\n' +
        'før noe skrives; avviser en inkonsistent sikkerhetskopi og sier hva som er galt.',
    },
    examples: [
      'keyhold admin restore nightly.keyhold-backup --data-dir /var/lib/keyhold-restored',
      'keyhold admin restore nightly.keyhold-backup --data-dir /srv/k --master-key-file /safe/master.key',
    ],
  }).action(async (file: string, flags: RestoreFlags) => {
    const { runRestore } = await import('../server/operations.js');
    await runRestore(file, flags);
  });

  const verifyBackup = withBackupFile(withDataFlags(admin.command('verify-backup')))
    .description(
      say({
        en: 'Make every check a restore makes, writing nothing (for a nightly job)',
        nb: 'Gjør alle kontrollene en gjenoppretting gjør, uten å skrive noe (for en nattlig jobb)',
      }),
    )
    .option(
      '--scratch-database-url <url>',
      say({
        en: 'PostgreSQL backups: a server where a temporary database may be created for the full checks (env KEYHOLD_SCRATCH_DATABASE_URL)',
        nb: 'PostgreSQL-sikkerhetskopier: en server der en midlertidig database kan opprettes for de fullstendige kontrollene (miljøvariabel KEYHOLD_SCRATCH_DATABASE_URL)',
      }),
    );
  addHelpAfter(verifyBackup, {
    about: {
      en:
        'Exit code 0: the backup can be restored; 1: it cannot, and the message says why.\n' +
        'A PostgreSQL backup has its secrets, audit chain and counts checked only with\n' +
        '--scratch-database-url: it is restored into a temporary database there, which is dropped again.',
      nb:
        'Avslutningskode 0: sikkerhetskopien kan gjenopprettes; 1: den kan ikke det, og meldingen sier\n' +
        'hvorfor. I en PostgreSQL-sikkerhetskopi kontrolleres hemmelighetene, revisjonskjeden og\n' +
        'antallene bare med --scratch-database-url: den gjenopprettes da i en midlertidig database der,\n' +
        'som slettes igjen etterpå.',
    },
    examples: [
      'keyhold admin verify-backup nightly.keyhold-backup --master-key-file /safe/master.key',
      'keyhold admin verify-backup nightly.keyhold-backup --scratch-database-url postgres://keyhold@db/scratch',
    ],
  }).action(async (file: string, flags: VerifyFlags) => {
    const { runVerifyBackup } = await import('../server/operations.js');
    await runVerifyBackup(file, flags);
  });

  const rotate = withDataFlags(admin.command('rotate-master-key'))
    .description(
      say({
        en: 'Make a new master key and re-wrap every data key with it; safe while servers run',
        nb: 'Lag en ny hovednøkkel og pakk inn hver datanøkkel på nytt med den; trygt mens serverne kjører',
      }),
    )
    .option(
      '--keep-old',
      say({
        en: 'keep the old key versions in the key file',
        nb: 'behold de gamle nøkkelversjonene i nøkkelfilen',
      }),
    );
  addHelpAfter(rotate, {
    about: {
      en:
        'The old key versions are removed from the key file afterwards (unless --keep-old); database\n' +
        'backups taken before the rotation need the old key file, so keep a copy with them.',
      nb:
        'De gamle nøkkelversjonene fjernes fra nøkkelfilen etterpå (med mindre --keep-old er gitt);\n' +
        'sikkerhetskopier av databasen tatt før rotasjonen trenger den gamle nøkkelfilen, så ta vare\n' +
        'på en kopi av den sammen med dem.',
    },
    examples: [
      'keyhold admin rotate-master-key',
      'keyhold admin rotate-master-key --master-key-file /etc/keyhold/master.key --json',
    ],
  }).action(async (flags: AdminFlags & { keepOld?: boolean }) => {
    const { runRotateMasterKey } = await import('../server/admin.js');
    await runRotateMasterKey(flags);
  });

  const verifyAudit = withDataFlags(admin.command('verify-audit')).description(
    say({
      en: 'Check the audit log hash chain and name the first broken link',
      nb: 'Kontroller hasjkjeden i revisjonsloggen og nevn det første brutte leddet',
    }),
  );
  addHelpAfter(verifyAudit, {
    examples: ['keyhold admin verify-audit', 'keyhold admin verify-audit --json'],
  }).action(async (flags: AdminFlags) => {
    const { runVerifyAudit } = await import('../server/admin.js');
    await runVerifyAudit(flags);
  });

  const createOrg = withDataFlags(admin.command('create-org'))
    .description(
      say({
        en: 'Create an organisation with an existing account as its owner',
        nb: 'Opprett en organisasjon med en eksisterende konto som eier',
      }),
    )
    .requiredOption(
      '--name <name>',
      say({ en: 'the organisation name', nb: 'navnet på organisasjonen' }),
    )
    .requiredOption(
      '--owner <email>',
      say({
        en: 'email of the account that becomes its owner',
        nb: 'e-postadressen til kontoen som blir eier',
      }),
    );
  addHelpAfter(createOrg, {
    examples: ['keyhold admin create-org --name "Acme IT" --owner ada@acme.example'],
  }).action(async (flags: AdminFlags & { name: string; owner: string }) => {
    const { runCreateOrg } = await import('../server/admin.js');
    await runCreateOrg(flags);
  });
}
