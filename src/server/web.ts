import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from './errors.js';
import { declareAccessOfPluginRoutes } from './route-access.js';
import { contentSecurityPolicy } from './security-headers.js';
import { things } from './messages.js';
import { say } from '../text/terminal-language.js';
import { operatorLogMessages } from './log-messages.js';

/** Where `npm run build:web` writes the app: web/dist beside src/ and dist/ alike. */
export const defaultWebRoot = join(import.meta.dirname, '..', '..', 'web', 'dist');

/** Top-level files Vite copies from web/public (favicon and the like); never paths. */
const publicFile = /^\/[\w-]+(\.[\w-]+)*\.(svg|png|ico|txt|webmanifest)$/;

export interface WebAppOptions {
  /** The directory holding the built index.html and assets/ (tests point it elsewhere). */
  root?: string;
}

function acceptsHtml(request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') ?? false;
}

function sendIndex(reply: FastifyReply, root: string): FastifyReply {
  return reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .sendFile('index.html', root, { cacheControl: false });
}

/**
 * Serves the single-page app: hashed assets under /assets with long caching, and index.html for
 * every other GET that asks for HTML, so deep links such as /keys/abc work after a reload.
 * Anything under /api that no route answers stays a JSON 404.
 */
export async function registerWebApp(
  app: FastifyInstance,
  { root = defaultWebRoot }: WebAppOptions = {},
): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  if (!built) {
    app.log.warn(say(operatorLogMessages.webAppNotBuilt(root)));
  }
  await app.register(async (web) => {
    declareAccessOfPluginRoutes(web, 'public');
    if (built) {
      await web.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: '/assets/',
        immutable: true,
        maxAge: '365d',
        index: false,
        setHeaders: (reply) => {
          void reply.header('x-content-type-options', 'nosniff');
        },
      });
    }

    web.get('/*', { config: { access: 'public' } }, (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (built && publicFile.test(path) && existsSync(join(root, path))) {
        return reply.sendFile(path.slice(1), root);
      }
      const isApi = path === '/api' || path.startsWith('/api/');
      if (isApi || (!acceptsHtml(request) && path !== '/')) throw new NotFoundError(things.page);
      if (!built) {
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('The Keyhold web app has not been built. Run: npm run build:web\n');
      }
      return sendIndex(reply, root);
    });
  });
}
