import { readFile } from 'node:fs/promises';
import { isCancel, password } from '@clack/prompts';
import { loadKeyring } from '../../crypto/master-key.js';
import { openDatabase } from '../../db/database.js';
import { pendingMigrations } from '../../db/migrate.js';
import { OperationError, operationMessages, type Wording } from '../../operations/messages.js';
import { say } from '../../text/terminal-language.js';
import type { BackupCheck } from '../../operations/restore-backup.js';
import { loadConfig } from '../../server/config.js';
import type { AdminFlags } from './admin.js';
import { CliError, ExitCode, printJson, printLine, style } from '../output.js';
import { asCliError } from '../server-errors.js';

export interface BackupFlags extends AdminFlags {
  out: string;
  withMasterKey?: boolean;
  passphraseFile?: string;
}

export interface RestoreFlags extends AdminFlags {
  passphraseFile?: string;
}

export interface VerifyFlags extends RestoreFlags {
  scratchDatabaseUrl?: string;
}

/** A refusal from the operations code, in the operator's language, or any other failure as is. */
function asOperationCliError(error: unknown): unknown {
  if (error instanceof OperationError) {
    const exitCode = error.origin === 'environment' ? ExitCode.environment : ExitCode.negative;
    return new CliError(say(error.wording), exitCode);
  }
  return asCliError(error);
}

function refuse(wording: Wording, exitCode: number = ExitCode.unusable): never {
  throw new CliError(say(wording), exitCode);
}

async function passphraseFromFile(file: string): Promise<string> {
  try {
    // One line: the line break an editor or `echo` adds is not part of the passphrase.
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    return refuse(
      operationMessages.unreadablePassphraseFile(file, (error as NodeJS.ErrnoException).code ?? ''),
    );
  }
}

async function askPassphrase(message: string): Promise<string> {
  const answer = await password({ message });
  if (isCancel(answer)) refuse(operationMessages.passphraseCancelled);
  return answer;
}

/** From --passphrase-file, else typed on the terminal (twice when it seals a key). */
function passphraseSource(flags: { passphraseFile?: string | undefined }, confirmTwice: boolean) {
  return async (): Promise<string> => {
    if (flags.passphraseFile) return passphraseFromFile(flags.passphraseFile);
    if (!process.stdin.isTTY) return refuse(operationMessages.passphraseNeeded);
    const first = await askPassphrase(
      say({ en: 'Backup passphrase', nb: 'Passordfrase for sikkerhetskopien' }),
    );
    if (!confirmTwice) return first;
    const second = await askPassphrase(
      say({ en: 'The same passphrase again', nb: 'Samme passordfrase en gang til' }),
    );
    if (first !== second) refuse(operationMessages.passphrasesDiffer);
    return first;
  };
}

export async function runBackup(flags: BackupFlags): Promise<void> {
  if (flags.passphraseFile && !flags.withMasterKey) refuse(operationMessages.passphraseWithoutKey);
  const config = loadConfig({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    masterKeyFile: flags.masterKeyFile,
    logLevel: 'silent',
  });
  const { takeBackup } = await import('../../operations/take-backup.js');
  let keyring;
  try {
    ({ keyring } = loadKeyring({ ...config, create: false }));
  } catch (error) {
    throw asCliError(error);
  }
  const passphrase = flags.withMasterKey ? await passphraseSource(flags, true)() : undefined;
  const database = openDatabase(config);
  try {
    const manifest = await takeBackup({
      database,
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      keyring,
      out: flags.out,
      passphrase,
      now: new Date(),
    }).catch((error: unknown) => {
      throw asOperationCliError(error);
    });
    if (flags.json) {
      printJson({ file: flags.out, manifest });
      return;
    }
    printLine(
      say({
        en: `Backed up ${database.location} to ${flags.out}: schema ${manifest.database.schemaVersion}, ${manifest.counts.recovery_keys ?? 0} recovery keys, audit chain head ${manifest.auditHead.seq}.`,
        nb: `Sikkerhetskopierte ${database.location} til ${flags.out}: skjema ${manifest.database.schemaVersion}, ${manifest.counts.recovery_keys ?? 0} gjenopprettingsnøkler, revisjonskjedens hode ${manifest.auditHead.seq}.`,
      }),
    );
    if (manifest.masterKey.sealed) {
      printLine(
        say({
          en: 'The master key is in the backup, sealed with the passphrase: keep the passphrase apart from the backup.',
          nb: 'Hovednøkkelen er med i sikkerhetskopien, forseglet med passordfrasen: oppbevar passordfrasen adskilt fra sikkerhetskopien.',
        }),
      );
    } else {
      printLine(
        style.dim(say(operationMessages.keyNotIncluded(keyring.source, keyring.versions()))),
      );
    }
  } finally {
    await database.close();
  }
}

function printCheck(check: BackupCheck, done: Wording): void {
  printLine(`${style.green('ok')}: ${say(done)}`);
  const { manifest } = check;
  const secrets =
    check.secretsOpened === undefined
      ? say(operationMessages.postgresChecksSkipped)
      : say({
          en: `${check.secretsOpened} sealed secrets open with the master key from ${check.keySource}; ${check.auditEvents} audit events chain up to head ${manifest.auditHead.seq}`,
          nb: `${check.secretsOpened} forseglede hemmeligheter åpnes med hovednøkkelen fra ${check.keySource}; ${check.auditEvents} revisjonshendelser henger sammen opp til hode ${manifest.auditHead.seq}`,
        });
  printLine(
    say({
      en: `  taken ${manifest.createdAt} from ${manifest.database.dialect}, schema ${manifest.database.schemaVersion}; checksum matches`,
      nb: `  tatt ${manifest.createdAt} fra ${manifest.database.dialect}, skjema ${manifest.database.schemaVersion}; sjekksummen stemmer`,
    }),
  );
  printLine(`  ${secrets}`);
}

export async function runVerifyBackup(file: string, flags: VerifyFlags): Promise<void> {
  const { verifyBackup } = await import('../../operations/restore-backup.js');
  const check = await verifyBackup(
    file,
    {
      masterKeyFile: flags.masterKeyFile,
      masterKey: process.env.KEYHOLD_MASTER_KEY,
      passphrase: passphraseSource(flags, false),
    },
    { scratchDatabaseUrl: flags.scratchDatabaseUrl ?? process.env.KEYHOLD_SCRATCH_DATABASE_URL },
  ).catch((error: unknown) => {
    throw asOperationCliError(error);
  });
  if (flags.json) printJson({ file, ok: true, ...check });
  else if (check.secretsOpened === undefined) {
    printCheck(check, {
      en: `${file} passes the checks that can be made without restoring it.`,
      nb: `${file} består kontrollene som kan gjøres uten å gjenopprette den.`,
    });
  } else printCheck(check, { en: `${file} can be restored.`, nb: `${file} kan gjenopprettes.` });
}

export async function runRestore(file: string, flags: RestoreFlags): Promise<void> {
  if (!flags.dataDir) {
    throw new CliError(
      say({
        en: 'give --data-dir: the empty folder to restore into.',
        nb: 'oppgi --data-dir: den tomme mappen det skal gjenopprettes til.',
      }),
    );
  }
  const { restoreBackup } = await import('../../operations/restore-backup.js');
  const check = await restoreBackup(
    file,
    { dataDir: flags.dataDir, databaseUrl: flags.databaseUrl },
    {
      masterKeyFile: flags.masterKeyFile,
      masterKey: process.env.KEYHOLD_MASTER_KEY,
      passphrase: passphraseSource(flags, false),
    },
  ).catch((error: unknown) => {
    throw asOperationCliError(error);
  });
  if (flags.json) {
    printJson({ file, dataDir: flags.dataDir, ok: true, ...check });
    return;
  }
  printCheck(check, {
    en: `restored ${file} into ${flags.dataDir}.`,
    nb: `gjenopprettet ${file} til ${flags.dataDir}.`,
  });
  printLine(
    say({
      en: `Start it with: keyhold serve --data-dir ${flags.dataDir}${flags.databaseUrl ? ' --database-url <url>' : ''}`,
      nb: `Start den med: keyhold serve --data-dir ${flags.dataDir}${flags.databaseUrl ? ' --database-url <url>' : ''}`,
    }),
  );
}

export async function runMigrateDryRun(flags: AdminFlags): Promise<void> {
  const config = loadConfig({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: 'silent',
  });
  const database = openDatabase(config);
  try {
    const pending = await pendingMigrations(database).catch((error: unknown) => {
      throw asCliError(error);
    });
    if (flags.json) {
      printJson({ database: database.location, pending });
    } else if (pending.length === 0) {
      printLine(
        say({
          en: `${database.location}: the schema is up to date; nothing would change.`,
          nb: `${database.location}: skjemaet er oppdatert; ingenting ville blitt endret.`,
        }),
      );
    } else {
      printLine(
        say({
          en: `${database.location}: these migrations would run, together in one transaction, in this order:`,
          nb: `${database.location}: disse migreringene ville kjørt, samlet i én transaksjon, i denne rekkefølgen:`,
        }),
      );
      for (const name of pending) printLine(`  ${name}`);
    }
  } finally {
    await database.close();
  }
}
