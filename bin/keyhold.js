#!/usr/bin/env node
// The CLI runs from the compiled output so that it starts as fast as plain Node;
// `npm ci` builds it (the `prepare` script) and `npm test`/`npm start` rebuild it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('keyhold: the compiled CLI is missing. Run `npm run build` in the checkout first.');
  process.exit(2);
}
await import(entry.href);
