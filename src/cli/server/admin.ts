import { rotateMasterKey } from '../../crypto/rotation.js';
import { loadKeyring } from '../../crypto/master-key.js';
import { openDatabase, type Database } from '../../db/database.js';
import { backupBeforeMigrating } from '../../operations/upgrade.js';
import { migrateToLatest } from '../../db/migrate.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createServerContext, type ServerContext } from '../../server/context.js';
import { normalizeEmail } from '../../server/accounts/email.js';
import { findUserByEmail } from '../../server/accounts/users-repo.js';
import { createOrganisation } from '../../server/features/orgs/index.js';
import { hasUnsafeCharacters } from '../../text/unsafe-characters.js';
import { CliError, escapeForTerminal, ExitCode, printJson, printLine, style } from '../output.js';
import { asCliError } from '../server-errors.js';
import { say } from '../../text/terminal-language.js';
import { serverMessages } from './messages.js';

export interface AdminFlags {
  dataDir?: string;
  databaseUrl?: string;
  masterKeyFile?: string;
  json?: boolean;
}

export interface MigrateFlags extends AdminFlags {
  dryRun?: boolean;
  backupBeforeMigrate?: boolean;
}

function configFrom(flags: AdminFlags) {
  return loadConfig({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    masterKeyFile: flags.masterKeyFile,
    logLevel: 'silent',
  });
}

/** Opens the server's data as the server does, but never creates a master key. */
async function withContext<T>(flags: AdminFlags, work: (ctx: ServerContext) => Promise<T>) {
  let ctx: ServerContext;
  try {
    ctx = await createServerContext(configFrom(flags), { createMasterKey: false });
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

export async function runMigrate(flags: MigrateFlags): Promise<void> {
  const config = loadConfig({
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    masterKeyFile: flags.masterKeyFile,
    backupBeforeMigrate: flags.backupBeforeMigrate,
    logLevel: 'silent',
  });
  const database = openDatabase(config);
  try {
    const upgradeBackup = await backupFirst(config, database);
    if (upgradeBackup && !flags.json) printLine(say(serverMessages.backedUpFirst(upgradeBackup)));
    const applied = await migrateToLatest(database).catch((error: unknown) => {
      throw asCliError(error);
    });
    if (flags.json) {
      printJson({ database: database.location, applied, backup: upgradeBackup ?? null });
    } else if (applied.length === 0) {
      printLine(say(serverMessages.schemaUpToDate(database.location)));
    } else {
      printLine(say(serverMessages.migrationsApplied(database.location, applied.join(', '))));
    }
  } finally {
    await database.close();
  }
}

/** The backup before migrating (SQLite, unless turned off), which needs the master key. */
async function backupFirst(config: Config, database: Database): Promise<string | undefined> {
  if (!config.backupBeforeMigrate || database.dialect !== 'sqlite') return undefined;
  try {
    return await backupBeforeMigrating({
      database,
      dataDir: config.dataDir,
      keyring: () => loadKeyring({ ...config, create: false }).keyring,
      enabled: true,
      now: new Date(),
    });
  } catch (error) {
    throw asCliError(error);
  }
}

export async function runRotateMasterKey(flags: AdminFlags & { keepOld?: boolean }) {
  await withContext(flags, async (ctx) => {
    let result;
    try {
      result = await rotateMasterKey(ctx.db, ctx.keyring, { keepOld: flags.keepOld === true });
    } catch (error) {
      throw asCliError(error);
    }
    if (flags.json) {
      printJson({ keyFile: ctx.keyring.source, ...result });
    } else {
      printLine(say(serverMessages.masterKeyRotated(result.newVersion, result.rewrapped)));
      if (result.retiredVersions.length > 0) {
        printLine(
          say(
            serverMessages.oldVersionsRemoved(
              result.retiredVersions.join(', '),
              ctx.keyring.source,
            ),
          ),
        );
      }
    }
    if (result.damaged.length > 0) {
      throw new CliError(
        say(serverMessages.secretsDamaged(result.damaged.length, result.damaged.join(', '))),
        ExitCode.negative,
      );
    }
  });
}

export async function runVerifyAudit(flags: AdminFlags): Promise<void> {
  await withContext(flags, async (ctx) => {
    const result = await ctx.audit.verify(ctx.db);
    if (flags.json) {
      printJson({ intact: result.problem === undefined, ...result });
    } else if (result.problem === undefined) {
      printLine(
        `${style.green(say(serverMessages.intact))}: ${say(serverMessages.auditIntact(result.events, result.head.seq, result.head.hash))}`,
      );
      printLine(style.dim(say(serverMessages.keepTheHead)));
    } else {
      printLine(`${style.red(say(serverMessages.broken))}: ${result.problem}`);
    }
    if (result.problem !== undefined) process.exitCode = ExitCode.negative;
  });
}

export async function runCreateOrg(flags: AdminFlags & { name: string; owner: string }) {
  const name = flags.name.trim();
  if (name === '' || name.length > 100) {
    throw new CliError(say(serverMessages.orgNameLength));
  }
  if (hasUnsafeCharacters(name)) {
    throw new CliError(say(serverMessages.orgNameUnsafe));
  }
  await withContext(flags, async (ctx) => {
    const owner = await findUserByEmail(ctx.db, normalizeEmail(flags.owner));
    if (!owner) {
      throw new CliError(say(serverMessages.noAccountFor(flags.owner)));
    }
    const organisation = await createOrganisation(ctx, { name, ownerUserId: owner.id });
    if (flags.json) {
      printJson({ organisation, owner: { id: owner.id, email: owner.email } });
    } else {
      printLine(
        escapeForTerminal(
          say(serverMessages.organisationCreated(organisation.name, organisation.id, owner.email)),
        ),
      );
    }
  });
}
