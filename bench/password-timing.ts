/**
 * Whether the time a wrong password takes tells anything: after the argon2 cost was raised, a
 * wrong password against an account still holding an older, cheaper hash and one for an email
 * with no account should each take about what a wrong password against a current hash takes.
 * Medians, the three kinds alternated so each sees the same machine load. Target: within 25%.
 */
import { performance } from 'node:perf_hooks';
import { PasswordHasher } from '../src/server/features/auth/index.js';

const runs = Math.max(9, Number(process.env.KEYHOLD_BENCH_RUNS ?? 15));
const target = 0.25;
// The defaults (docs/operations.md) and the smaller cost an older install may have used.
const current = { memoryKib: 65536, iterations: 3, parallelism: 1 };
const older = { memoryKib: 19456, iterations: 2, parallelism: 1 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function timeOnce(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const hasher = new PasswordHasher(current);
const currentHash = await hasher.hash('the account password');
const olderHash = await new PasswordHasher(older).hash('the account password');
const kinds = {
  'current hash': () => hasher.check(currentHash, 'a wrong guess'),
  'older hash': () => hasher.check(olderHash, 'a wrong guess'),
  'no account': () => hasher.verifyNothing('a wrong guess'),
};
const times = new Map<string, number[]>(Object.keys(kinds).map((name) => [name, []]));
for (let i = 0; i < runs + 1; i++) {
  for (const [name, work] of Object.entries(kinds)) {
    const elapsed = await timeOnce(work);
    // The first round makes the cached comparison hashes; it is not what a request sees.
    if (i > 0) times.get(name)?.push(elapsed);
  }
}

const reference = median(times.get('current hash') ?? []);
console.log(`password-timing (${runs} wrong passwords each, medians)`);
let within = true;
for (const [name, values] of times) {
  const ms = median(values);
  const off = Math.abs(ms - reference) / reference;
  within &&= off <= target;
  console.log(`  ${name.padEnd(13)} ${ms.toFixed(1)} ms (${(off * 100).toFixed(0)}% off)`);
}
console.log(`  target within ${target * 100}%: ${within ? 'ok' : 'OUTSIDE TARGET'}`);
