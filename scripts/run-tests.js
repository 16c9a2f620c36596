#!/usr/bin/env node
// Runs every test file with node:test (Node 20 does not expand globs, so the list is built
// here), prepares what the suites share, and ends with one "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { summarizeTap } from './test-summary.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const only = args.filter((arg) => !arg.startsWith('--'));

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(path);
    return /\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    console.error(`\n${command} ${commandArgs.join(' ')} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// The CLI tests run the compiled `keyhold` binary exactly as users do. tsc still emits when it
// finds type errors; those are reported here and fail `npm run typecheck`, not the test run.
const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { stdio: 'inherit', cwd: root },
);
if (build.status !== 0) console.error('warning: the build reported type errors (see above)');
// `keyhold verify` and `keyhold unlock` run from a bundle of that build (scripts/bundle-cli.js).
spawnSync(process.execPath, [join(root, 'scripts/bundle-cli.js')], { stdio: 'inherit', cwd: root });

// The corpus images are sparse; extracting them once serves every suite.
const env = { ...process.env };
const corpusArchive = resolve(
  env.KEYHOLD_CORPUS_ARCHIVE ?? join(root, '../shared/corpus/bitlocker/windows-images.tar.xz'),
);
if (!env.KEYHOLD_CORPUS_DIR && existsSync(corpusArchive)) {
  const stamp = statSync(corpusArchive).mtimeMs.toFixed(0);
  const target = join(tmpdir(), `keyhold-corpus-${stamp}`);
  if (!existsSync(join(target, 'images.conf'))) {
    mkdirSync(target, { recursive: true });
    run('tar', ['-xJf', corpusArchive, '-C', target]);
  }
  env.KEYHOLD_CORPUS_DIR = target;
}

const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'test'))]
  .map((file) => relative(root, file))
  .filter((file) => only.length === 0 || only.some((wanted) => file.includes(wanted)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/**
 * The PostgreSQL suites each work in a schema of their own (test/server/databases.ts), dropped
 * here before and after the run, so a run leaves the database as it found it.
 */
async function dropTestSchemas() {
  if (!env.KEYHOLD_TEST_DATABASE_URL) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: env.KEYHOLD_TEST_DATABASE_URL });
  try {
    await client.connect();
    const { rows } = await client.query(
      "select nspname from pg_namespace where nspname like 'keyhold\\_test\\_%'",
    );
    for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`);
  } catch (error) {
    // The PostgreSQL suites say what is wrong with the database themselves.
    console.warn(`could not drop old test schemas: ${error.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

await dropTestSchemas();
const tapFile = join(tmpdir(), `keyhold-tests-${process.pid}.tap`);
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${env.KEYHOLD_TEST_CONCURRENCY ?? '2'}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env },
);

await dropTestSchemas();

const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const { passed, failed, skips } = summarizeTap(tap);
if (skips.length > 0) {
  console.log(`\nskipped ${skips.length}:`);
  for (const { name, reason } of skips) console.log(`  ${name}: ${reason}`);
}
const broken = result.status !== 0 && failed === 0 ? 1 : 0;
console.log(`\n${passed} passed, ${failed + broken} failed, ${skips.length} skipped`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
