/**
 * `keyhold find` in folders against GNU grep on the same tree in the same run. Both list the
 * tree, read every .txt/.bek/.json file and look for the Key ID; grep only matches bytes (it
 * misses UTF-16 recovery files and .BEK files), keyhold also parses what it finds. GNU find,
 * which only lists the names, is printed as the floor. Target: at most 3x grep on a tree of
 * 20,000 files holding 300 key files (the shape of a well-used USB drive or Documents folder).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeBekFile } from '../src/bitlocker/bek-file.js';
import { writeRecoveryKeyFile } from '../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../src/bitlocker/recovery-password-generation.js';
import { defaultSearchLimits, searchPlace } from '../src/cli/backup/local-search.js';

const runs = Math.max(3, Number(process.env.KEYHOLD_BENCH_RUNS ?? 5));
const target = 3;
const files = 20_000;
const keyFiles = 200;
const bekFiles = 100;

function guid(index: number): string {
  const hex = index.toString(16).toUpperCase().padStart(12, '0');
  return `5E1F0000-0000-4000-8000-${hex}`;
}

const root = mkdtempSync(join(tmpdir(), 'keyhold-bench-find-'));
try {
  for (let index = 0; index < files; index++) {
    const dir = join(root, `d${index % 10}`, `e${index % 7}`, `f${index % 5}`);
    mkdirSync(dir, { recursive: true });
    if (index < keyFiles) {
      const file = writeRecoveryKeyFile({
        protectorId: guid(index),
        recoveryPassword: generateRecoveryPassword(),
      });
      writeFileSync(join(dir, file.fileName), file.bytes);
    } else if (index < keyFiles + bekFiles) {
      writeFileSync(
        join(dir, `${guid(index)}.BEK`),
        writeBekFile({ keyId: guid(index), key: Buffer.alloc(32, index % 256) }),
      );
    } else if (index % 10 === 0) {
      writeFileSync(join(dir, `notes-${index}.txt`), `shopping list ${index}\n`.repeat(20));
    } else {
      writeFileSync(join(dir, `photo-${index}.jpg`), Buffer.alloc(2048, index % 256));
    }
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
  const keyholdTimes: number[] = [];
  const findTimes: number[] = [];
  const grepTimes: number[] = [];
  let matches = 0;
  for (let run = 0; run < runs; run++) {
    let start = performance.now();
    const result = await searchPlace(
      { kind: 'folder', path: root },
      '5E1F0000',
      defaultSearchLimits,
    );
    keyholdTimes.push(performance.now() - start);
    matches = result.matches.length;

    start = performance.now();
    const find = spawnSync(
      'find',
      [
        root,
        '-maxdepth',
        '5',
        '-type',
        'f',
        '(',
        '-iname',
        '*.txt',
        '-o',
        '-iname',
        '*.bek',
        '-o',
        '-iname',
        '*.json',
        ')',
      ],
      { encoding: 'utf8' },
    );
    findTimes.push(performance.now() - start);
    if (find.status !== 0) throw new Error(`find failed: ${find.stderr}`);

    start = performance.now();
    const grep = spawnSync(
      'grep',
      [
        '-rli',
        '--include=*.txt',
        '--include=*.bek',
        '--include=*.json',
        '--include=*.TXT',
        '--include=*.BEK',
        '5E1F0000',
        root,
      ],
      { encoding: 'utf8' },
    );
    grepTimes.push(performance.now() - start);
    if (grep.status !== 0 && grep.status !== 1) throw new Error(`grep failed: ${grep.stderr}`);
  }
  if (matches !== keyFiles + bekFiles) {
    throw new Error(`keyhold found ${matches} keys, expected ${keyFiles + bekFiles}`);
  }
  const keyhold = median(keyholdTimes);
  const gnuFind = median(findTimes);
  const gnuGrep = median(grepTimes);
  const ratio = keyhold / gnuGrep;
  console.log(`tree: ${files} files, ${keyFiles + bekFiles} holding keys; ${runs} runs each`);
  console.log(`keyhold find (lists, reads, parses):         ${keyhold.toFixed(1)} ms median`);
  console.log(`GNU grep -rl (lists, reads, matches bytes):  ${gnuGrep.toFixed(1)} ms median`);
  console.log(`GNU find (lists candidate names only):      ${gnuFind.toFixed(1)} ms median`);
  console.log(
    `ratio to grep ${ratio.toFixed(2)}x (target at most ${target}x): ${ratio <= target ? 'met' : 'NOT met'}`,
  );
  process.exitCode = ratio <= target ? 0 : 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
