import cluster from 'node:cluster';
import { readFile, stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../server/config.js';
import { noticeField } from '../../server/logging.js';
import { CliError, ExitCode } from '../output.js';
import { asCliError, listenFailure } from '../server-errors.js';
import { stoppedCleanly, superviseWorkers } from './serve-workers.js';

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
        { [noticeField]: 'A new master key was created' },
        `created a new master key in ${context.keyring.source}: back it up now, apart from ` +
          'database backups. Without it the stored recovery keys cannot be read.',
      );
    }
    if (context.upgradeBackup) {
      app.log.info(`backed up the database before migrating it: ${context.upgradeBackup}`);
    }
    if (!worker || worker.id === 1) {
      app.log.info(`data: ${context.database.location}`);
      const mode = await folderMode(config.dataDir);
      if (mode !== undefined && (mode & 0o077) !== 0) {
        app.log.warn(
          `the data folder ${config.dataDir} is open to other users (mode ` +
            `${(mode & 0o777).toString(8)}); run: chmod 700 ${config.dataDir}`,
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
      if (!worker) app.log.info(stoppedCleanly);
      process.exit(0);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const refusal = listenFailure(error);
    if (!refusal) throw error;
    // The server built before listening holds the database: let it go before saying why.
    await app.close();
    throw refusal;
  }
  if (!worker) app.log.info(`Keyhold is serving on ${address}`);
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
      throw new CliError(
        `the TLS key file ${config.tlsKey} can be read by other users; run: chmod 600 ${config.tlsKey}`,
        ExitCode.environment,
      );
    }
    return { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read the TLS certificate or key (--tls-cert, --tls-key): ${(error as Error).message}`,
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
