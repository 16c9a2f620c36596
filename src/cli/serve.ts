import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { registerWebApp } from '../server/web.js';
import { asCliError } from './server-errors.js';

export async function runServe(flags: object): Promise<void> {
  const config = loadConfig(flags);
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
      : undefined;
  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      ...(https ? { https } : {}),
      registerWebApp: (server) => registerWebApp(server),
    });
    const context = app.keyhold;
    if (context.createdMasterKey) {
      app.log.warn(
        `created a new master key in ${context.keyring.source}: back it up now, apart from ` +
          'database backups. Without it the stored recovery keys cannot be read.',
      );
    }
    app.log.info(`data: ${context.database.location}`);
  } catch (error) {
    throw asCliError(error);
  }
  const shutdown = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(`Keyhold is serving on ${address}`);
}
