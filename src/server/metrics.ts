import { createServer, type Server } from 'node:http';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sqliteFileName } from '../db/database.js';
import { lastBackupAt } from '../operations/last-backup.js';
import type { ServerContext } from './context.js';
import { say } from '../text/terminal-language.js';
import { operatorLogMessages } from './log-messages.js';

/**
 * Prometheus metrics, served on a listen address of their own (`--metrics-listen`) so they never
 * share the public port. Labels are route patterns (`/api/v1/keys/:id`), never the requested
 * URL: ids and query strings stay out of the metrics.
 *
 * There is no mail queue yet, so there is no queue depth metric.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'keyhold_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'keyhold_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly signinFailures = new Counter({
    name: 'keyhold_signin_failures_total',
    help: 'Sign-in attempts refused for a wrong email, password or code, by step.',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'keyhold_signin_lockouts_total',
    help: 'Sign-in attempts refused because the account or address is locked out for a while.',
    registers: [this.registry],
  });
  private readonly reveals = new Counter({
    name: 'keyhold_key_reveals_total',
    help: 'Recovery passwords shown to someone.',
    registers: [this.registry],
  });
  private readonly checkIns = new Counter({
    name: 'keyhold_escrow_checkins_total',
    help: 'Recovery keys sent in by devices and API tokens (escrow check-ins).',
    registers: [this.registry],
  });

  constructor(ctx: ServerContext) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'keyhold_database_size_bytes',
      help: 'Size of the database: the SQLite file and its WAL, or the PostgreSQL database.',
      registers: [this.registry],
      collect: async function (this: Gauge) {
        this.set(await databaseSize(ctx));
      },
    });
    new Gauge({
      name: 'keyhold_last_backup_age_seconds',
      help: 'Seconds since `keyhold admin backup` last succeeded for this data folder; absent before the first.',
      registers: [this.registry],
      collect: async function (this: Gauge) {
        const at = await lastBackupAt(ctx.config.dataDir);
        if (at === undefined) this.reset();
        else this.set(Math.max(0, (ctx.now().getTime() - at.getTime()) / 1000));
      },
    });
  }

  /** Counts one answered request (an onResponse hook). */
  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    this.requests.inc({ method: request.method, route, status: String(status) });
    this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (route === '/api/v1/auth/signin' || route === '/api/v1/auth/signin/second-factor') {
      const step = route.endsWith('second-factor') ? 'second-factor' : 'password';
      if (status === 401) this.signinFailures.inc({ step });
      if (status === 429) this.lockouts.inc();
    }
    if (route === '/api/v1/keys/:id/reveal' && status === 200) this.reveals.inc();
    const fromDevice = /^bearer /i.test(request.headers.authorization ?? '');
    if (route === '/api/v1/keys' && request.method === 'POST' && status === 201 && fromDevice) {
      this.checkIns.inc();
    }
  }
}

async function databaseSize(ctx: ServerContext): Promise<number> {
  if (ctx.database.dialect === 'postgres') {
    const { rows } = await sql<{ size: string | number }>`
      select pg_database_size(current_database()) as size`.execute(ctx.db);
    return Number(rows[0]?.size ?? 0);
  }
  const file = join(ctx.config.dataDir, sqliteFileName);
  let total = 0;
  for (const part of [file, `${file}-wal`]) {
    total += await stat(part).then(
      (found) => found.size,
      () => 0,
    );
  }
  return total;
}

/** `host:port`, `[v6]:port`. */
export function parseListenAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!host || !(port >= 0 && port <= 65535)) return undefined;
  return { host, port };
}

/**
 * Counts every request of `app` and answers `GET /metrics` on the address of its own, opened
 * when the app is ready (a port already taken stops the start) and closed with it.
 */
export function registerMetrics(app: FastifyInstance, ctx: ServerContext, listen: string): void {
  const metrics = new ServerMetrics(ctx);
  const address = parseListenAddress(listen);
  if (!address) throw new Error(`not a host:port: ${listen}`);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(request, reply);
  });
  let server: Server | undefined;
  app.addHook('onReady', async () => {
    server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
        return;
      }
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
        },
        (error: unknown) => {
          app.log.warn({ err: error }, say(operatorLogMessages.metricsFailed));
          response
            .writeHead(500, { 'content-type': 'text/plain' })
            .end('collecting metrics failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(address.port, address.host, () => {
        const bound = server?.address();
        const where = typeof bound === 'object' && bound ? `${address.host}:${bound.port}` : listen;
        app.log.info(say(operatorLogMessages.metricsServing(`http://${where}/metrics`)));
        resolve();
      });
    });
  });
  app.addHook('onClose', async () => {
    if (!server) return;
    const closing = server;
    await new Promise((resolve) => closing.close(resolve));
  });
}
