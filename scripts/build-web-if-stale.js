#!/usr/bin/env node
// Builds the web app (vite) when web/dist is missing or older than any of its sources, so
// `npm start` and the browser tests always serve what is in the checkout without paying for a
// build every time. Several test processes may ask at once: a lock directory makes one build
// and the others wait for it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const builtIndex = join(root, 'web', 'dist', 'index.html');
// The bundle also compiles pure code from src/bitlocker (recovery password checks).
const sources = [
  'web/index.html',
  'web/vite.config.ts',
  'web/public',
  'web/src',
  'web/i18n',
  'src/bitlocker',
  'package-lock.json',
].map((path) => join(root, path));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, name) => Math.max(newest, newestMtime(join(path, name))),
    stat.mtimeMs,
  );
}

function isStale() {
  if (!existsSync(builtIndex)) return true;
  const builtAt = statSync(builtIndex).mtimeMs;
  return sources.some((path) => newestMtime(path) > builtAt);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const lockDir = join(
  tmpdir(),
  `keyhold-web-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`,
);
const lockTimeoutMs = 5 * 60 * 1000;

function acquireLock() {
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A build that crashed leaves its lock behind; after the timeout it no longer counts.
      if (Date.now() - statSync(lockDir).mtimeMs > lockTimeoutMs)
        rmSync(lockDir, { force: true, recursive: true });
      else sleep(250);
    }
  }
}

if (!isStale()) process.exit(0);
acquireLock();
try {
  // Another process may have built it while this one waited for the lock.
  if (isStale()) {
    console.error('building the web app (web/dist is missing or older than its sources)');
    const result = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      { cwd: root, stdio: 'inherit' },
    );
    if (result.status !== 0) {
      console.error('the web app build failed (see above)');
      process.exitCode = 1;
    }
  }
} finally {
  rmSync(lockDir, { force: true, recursive: true });
}
