import Fastify, { type FastifyInstance } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from './config.js';
import { handleError, NotFoundError } from './errors.js';
import { registerWebApp } from './web.js';

export interface AppOptions {
  config: Config;
  /** Tests pass a stream to read the log; by default logs go to stdout. */
  logStream?: NodeJS.WritableStream;
  https?: { cert: Buffer; key: Buffer };
}

export async function buildApp({ config, logStream, https }: AppOptions): Promise<FastifyInstance> {
  // The https variant only changes the server type, not anything the app registers.
  const app = (Fastify as (options: object) => FastifyInstance)({
    ...(https ? { https } : {}),
    logger: {
      level: config.logLevel,
      ...(logStream ? { stream: logStream } : {}),
    },
    trustProxy: config.behindProxy,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(() => {
    throw new NotFoundError('The page');
  });

  app.get(
    '/healthz',
    { schema: { response: { 200: z.object({ status: z.literal('ok') }) } } },
    () => ({ status: 'ok' as const }),
  );

  await registerWebApp(app);
  await app.ready();
  return app;
}
