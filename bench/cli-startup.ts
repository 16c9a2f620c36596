/**
 * How much slower `keyhold key check <pw>` starts than bare Node (`node -e 0`), measured in the
 * same run, alternating the two so both see the same machine load. Target: at most 2.5x.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = join(import.meta.dirname, '..');
// At least 20 runs each so one slow spawn cannot move the median.
const runs = Math.max(20, Number(process.env.KEYHOLD_BENCH_RUNS ?? 25));
const warmUp = 3;
const target = 2.5;
const password = '235818-357951-253979-013365-241120-245575-342914-591910';

// The CLI runs from dist/; compile it first so the numbers are for the current source.
const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
if (build.status !== 0 && !existsSync(join(root, 'dist/cli/main.js'))) {
  console.error('cli-startup: the build failed and there is no compiled CLI to measure');
  process.exit(1);
}

function timeOnce(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    console.error(`cli-startup: node ${args.join(' ')} exited with ${String(result.status)}`);
    process.exit(1);
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const baselineArgs = ['-e', '0'];
const cliArgs = [join(root, 'bin/keyhold.js'), 'key', 'check', password];
for (let i = 0; i < warmUp; i++) {
  timeOnce(baselineArgs);
  timeOnce(cliArgs);
}
const baseline: number[] = [];
const cli: number[] = [];
for (let i = 0; i < runs; i++) {
  baseline.push(timeOnce(baselineArgs));
  cli.push(timeOnce(cliArgs));
}

const baselineMedian = median(baseline);
const cliMedian = median(cli);
const ratio = cliMedian / baselineMedian;
console.log(`cli-startup (${runs} runs each, medians)`);
console.log(`  node -e 0                    ${baselineMedian.toFixed(1)} ms`);
console.log(`  keyhold key check <password> ${cliMedian.toFixed(1)} ms`);
console.log(
  `  ratio ${ratio.toFixed(2)}x (target <= ${target}x): ${ratio <= target ? 'ok' : 'ABOVE TARGET'}`,
);
