#!/usr/bin/env node
// Builds Keyhold's native addon with node-gyp during `npm ci` / `npm install`. It is optional:
// when it cannot be built (no compiler, no Node headers, another platform) this prints one line
// and exits 0, the install goes on, and Keyhold uses its WebAssembly path instead.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const log = join(here, 'build-error.log');

function giveUp(reason) {
  console.log(`keyhold: native addon not built (${reason}); the WebAssembly path will be used.`);
  process.exit(0);
}

if (process.env.KEYHOLD_NATIVE === '0') giveUp('KEYHOLD_NATIVE=0');
// npm tells its scripts where its own node-gyp is; outside npm, one on PATH will do.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp
  ? [process.execPath, [nodeGyp, 'rebuild']]
  : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { cwd: here, encoding: 'utf8' });
if (result.error) giveUp(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0) {
  writeFileSync(log, `${result.stdout}\n${result.stderr}`);
  giveUp(`node-gyp failed, see ${log}`);
}
console.log('keyhold: native addon built (native/build/Release/keyhold_native.node).');
