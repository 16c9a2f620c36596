import { spawn, type ChildProcess } from 'node:child_process';
import { keyholdBin, repoRoot } from '../support/cli.js';

export interface ServeProcess {
  url: string;
  pid: number;
  /** Everything the process wrote so far. */
  output: () => string;
  /** SIGTERM, then the exit code once it has exited. */
  stop: () => Promise<number | null>;
}

/** Cheap argon2id for servers started by tests (see test/server/harness.ts). */
export const testServeEnv = { KEYHOLD_ARGON2_MEMORY_KIB: '1024', KEYHOLD_ARGON2_ITERATIONS: '1' };

/** Starts the compiled `keyhold serve` on a free port, as an operator would. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [keyholdBin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...testServeEnv, KEYHOLD_LOG_LEVEL: 'info', NO_COLOR: '1', ...env },
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`keyhold serve did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          pid: child.pid ?? 0,
          output: () => output,
          stop: () => stop(child),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keyhold serve exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}
