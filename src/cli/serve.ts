import { readFile } from 'node:fs/promises';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';

export async function runServe(flags: object): Promise<void> {
  const config = loadConfig(flags);
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
      : undefined;
  const app = await buildApp({ config, ...(https ? { https } : {}) });
  const shutdown = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(`Keyhold is serving on ${address}`);
}
