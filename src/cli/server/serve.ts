import cluster from 'node:cluster';
import { readFile, stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../server/config.js';
import { noticeField } from '../../server/logging.js';
import { CliError, ExitCode } from '../output.js';
import { asCliError, listenFailure } from '../server-errors.js';
import { superviseWorkers } from './serve-workers.js';
import { say } from '../../text/terminal-language.js';
import { serverMessages } from './messages.js';
import { operatorLogMessages } from '../../server/log-messages.js';

export interface ServeFlags {
  host?: string;
  port?: string;
  workers?: string;
  dataDir?: string;
  publicUrl?: string;
  databaseUrl?: string;
  masterKeyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  behindProxy?: boolean;
  trustedProxies?: string;
  proxyHops?: string;
  requestTimeoutSeconds?: string;
  connectionsPerAddress?: string;
  logLevel?: string;
  logFormat?: string;
  vaultIdleMinutes?: string;
  stepUpMinutes?: string;
  deletedKeyRetentionDays?: string;
  serverAdmins?: string;
  argon2MemoryKib?: string;
  argon2Iterations?: string;
  argon2Parallelism?: string;
  metricsListen?: string;
  smtpUrl?: string;
  mailFrom?: string;
  backupBeforeMigrate?: boolean;
}

export async function runServe(flags: ServeFlags): Promise<void> {
  const config = loadConfig(flags);
  if (config.workers > 1 && cluster.isPrimary) {
    // The supervisor never serves, so it never loads the server.
    await superviseWorkers(config);
    return;
  }
  try {
    await serveHere(config);
  } catch (error) {
    // A worker stays connected to its supervisor: let go once the reason has been printed, so
    // that it exits with its code and the supervisor can stop.
    if (cluster.isWorker) setImmediate(() => cluster.worker?.disconnect());
    throw error;
  }
}

/** Serves in this process: the only one, or one of the workers `--workers` starts. */
async function serveHere(config: Config): Promise<void> {
  const { buildApp } = await import('../../server/app.js');
  // Workers leave the one-time lines to the first of them and the supervisor.
  const worker = cluster.isWorker ? cluster.worker : undefined;
  const https = await readTlsFiles(config);
  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      ...(https ? { https } : {}),
    });
    const context = app.keyhold;
    if (context.createdMasterKey) {
      app.log.warn(
        { [noticeField]: say(serverMessages.createdMasterKeyTitle) },
        say(serverMessages.createdMasterKey(context.keyring.source)),
      );
    }
    if (context.upgradeBackup) {
      app.log.info(say(serverMessages.backedUpBeforeMigrating(context.upgradeBackup)));
    }
    if (!worker || worker.id === 1) {
      app.log.info(say(serverMessages.dataAt(context.database.location)));
      const mode = await folderMode(config.dataDir);
      if (mode !== undefined && (mode & 0o077) !== 0) {
        app.log.warn(
          say(serverMessages.dataFolderOpen(config.dataDir, (mode & 0o777).toString(8))),
        );
      }
    }
  } catch (error) {
    throw asCliError(error);
  }
  let closing: Promise<void> | undefined;
  const shutdown = (): void => {
    // A terminal's Ctrl-C reaches the workers and the supervisor, which passes it on too.
    closing ??= app.close().then(() => {
      // With --workers, the supervisor says so once every worker has stopped.
      if (!worker) app.log.info(say(serverMessages.stoppedCleanly));
      process.exit(0);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  let address: string;
  try {
    address = await app.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (where) => say(operatorLogMessages.listening(where)),
    });
  } catch (error) {
    const refusal = listenFailure(error);
    if (!refusal) throw error;
    // The server built before listening holds the database: let it go before saying why.
    await app.close();
    throw refusal;
  }
  if (!worker) app.log.info(say(serverMessages.serving(address)));
}

/**
 * The certificate and its key. A key file other users can read is refused, as the master key file
 * is: whoever reads it can pose as this server.
 */
async function readTlsFiles(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  try {
    const { mode } = await stat(config.tlsKey);
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new CliError(say(serverMessages.tlsKeyTooOpen(config.tlsKey)), ExitCode.environment);
    }
    return { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      say(serverMessages.tlsUnreadable((error as Error).message)),
      ExitCode.environment,
    );
  }
}

/** The permission bits of a folder, or undefined when there is none (PostgreSQL, no key file). */
async function folderMode(dir: string): Promise<number | undefined> {
  if (process.platform === 'win32') return undefined;
  try {
    const folder = await stat(dir);
    return folder.isDirectory() ? folder.mode : undefined;
  } catch {
    return undefined;
  }
}
