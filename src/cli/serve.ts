import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../server/config.js';
import { asCliError } from './server-errors.js';

export async function runServe(flags: object): Promise<void> {
  const config = loadConfig(flags);
  if (config.workers > 1 && cluster.isPrimary) {
    // The supervisor never serves, so it never loads the server.
    const { superviseWorkers } = await import('./serve-workers.js');
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
  const { buildApp } = await import('../server/app.js');
  // Workers leave the one-time lines to the first of them and the supervisor.
  const worker = cluster.isWorker ? cluster.worker : undefined;
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
      : undefined;
  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      ...(https ? { https } : {}),
    });
    const context = app.keyhold;
    if (context.createdMasterKey) {
      app.log.warn(
        `created a new master key in ${context.keyring.source}: back it up now, apart from ` +
          'database backups. Without it the stored recovery keys cannot be read.',
      );
    }
    if (!worker || worker.id === 1) app.log.info(`data: ${context.database.location}`);
  } catch (error) {
    throw asCliError(error);
  }
  let closing: Promise<void> | undefined;
  const shutdown = (): void => {
    // A terminal's Ctrl-C reaches the workers and the supervisor, which passes it on too.
    closing ??= app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const address = await app.listen({ host: config.host, port: config.port });
  if (!worker) app.log.info(`Keyhold is serving on ${address}`);
}
