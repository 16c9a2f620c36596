#!/usr/bin/env node
// The CLI runs from the compiled output so that it starts as fast as plain Node;
// `npm ci` builds it (the `prepare` script) and `npm test`/`npm start` rebuild it.
import { existsSync, statSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('keyhold: the compiled CLI is missing. Run `npm run build` in the checkout first.');
  process.exit(2);
}

/**
 * `keyhold verify` and `keyhold unlock` run from the bundle of the same build
 * (scripts/bundle-cli.js): they are timed against cryptsetup and dislocker, and loading one file
 * instead of dozens is part of that time. A bundle older than the compiled CLI (a build since
 * that did not bundle) is not used.
 */
function bundledEntry() {
  if (process.argv[2] !== 'verify' && process.argv[2] !== 'unlock') return undefined;
  const bundle = new URL('../dist/bundle/cli/main.js', import.meta.url);
  const built = statSync(bundle, { throwIfNoEntry: false });
  return built && built.mtimeMs >= statSync(entry).mtimeMs ? bundle : undefined;
}

await import((bundledEntry() ?? entry).href);
