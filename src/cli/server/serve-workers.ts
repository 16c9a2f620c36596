import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../../server/config.js';
import { processLogger, resolveLogFormat } from '../../server/logging.js';
import { ExitCode } from '../output.js';
import { say } from '../../text/terminal-language.js';
import { serverMessages } from './messages.js';

/**
 * V8 lets each process's young generation grow to 32 MB under load, and several workers on one
 * machine would each hold that. Measured with bench/server.ts, 4 MB answers as many requests
 * with about 50 MB less memory for two workers.
 */
const workerFlags = ['--max-semi-space-size=4'];

/** A worker that stops this often is a fault to report, not a hiccup to ride out. */
const restartWindowMs = 60_000;
const maximumRestartsInWindow = 5;

/**
 * `keyhold serve --workers N`: this process only looks after N server processes that share the
 * port (Node's cluster module hands each new connection to one of them). The first worker starts
 * alone, so that only it can bring the schema up to date or create the master key; the others
 * follow once it is serving. A worker that stops unexpectedly is replaced; one that fails while
 * starting stops them all, since its replacement would fail the same way (it has said why).
 *
 * The workers share nothing in memory: sessions, limits, the vault and caches live in the
 * database (see docs/architecture.md, "Several server processes").
 */
export function superviseWorkers(config: Config): Promise<never> {
  const log = processLogger(config.logLevel, resolveLogFormat(config.logFormat));
  const listening = new Set<Worker>();
  const restarts: number[] = [];
  let othersStarted = false;
  let announced = false;
  let stoppingWith: number | undefined;
  /** Whether every worker stopped as asked, once stopping. */
  let allStoppedCleanly = true;

  // A worker whose process has exited stays in cluster.workers until its IPC channel has closed
  // too, which may come after the 'exit' event: only the living count.
  const running = () =>
    Object.values(cluster.workers ?? {}).filter((worker) => worker && !worker.isDead());
  const stopAll = (exitCode: number) => {
    if (stoppingWith !== undefined) return;
    stoppingWith = exitCode;
    const workers = running();
    if (workers.length === 0) process.exit(exitCode);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    if (!othersStarted) {
      othersStarted = true;
      for (let n = 1; n < config.workers; n++) cluster.fork();
    }
    if (announced) return;
    if (listening.size === config.workers) {
      announced = true;
      const protocol = config.tlsCert ? 'https' : 'http';
      const host = address.address.includes(':') ? `[${address.address}]` : address.address;
      log.info(
        say(
          serverMessages.servingWithWorkers(
            `${protocol}://${host || config.host}:${address.port}`,
            config.workers,
          ),
        ),
      );
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasServing = listening.delete(worker);
    if (stoppingWith !== undefined) {
      // A worker still starting has no handler yet, so the signal itself ends it.
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') allStoppedCleanly = false;
      if (running().length > 0) return;
      if (stoppingWith === ExitCode.ok && allStoppedCleanly)
        log.info(say(serverMessages.stoppedCleanly));
      process.exit(stoppingWith);
    }
    if (!wasServing) {
      // Killed by a signal, a worker has no exit code (whatever the types say).
      stopAll(Number.isInteger(code) && code !== 0 ? code : ExitCode.environment);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts[0] !== undefined && restarts[0] < now - restartWindowMs) restarts.shift();
    if (restarts.length > maximumRestartsInWindow) {
      log.fatal(say(serverMessages.workersKeepStopping(restarts.length)));
      stopAll(ExitCode.environment);
      return;
    }
    log.error(say(serverMessages.workerStopped(signal || say(serverMessages.exitCode(code)))));
    cluster.fork();
  });

  process.once('SIGINT', () => {
    stopAll(ExitCode.ok);
  });
  process.once('SIGTERM', () => {
    stopAll(ExitCode.ok);
  });
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...workerFlags] });
  cluster.fork();
  // Runs until process.exit above.
  return new Promise<never>(() => undefined);
}
