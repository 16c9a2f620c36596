#!/usr/bin/env node
// Bundles the compiled CLI's entry with the `verify` command (dist/cli/main.js and what it
// imports for that command, commander included) into one file, dist/bundle/cli/main.js, which bin/keyhold.js runs
// for `keyhold verify`: Node then reads and compiles one file instead of about 45 modules, which
// is a noticeable part of the time a key check takes. The other commands are left out (their
// imports stay unresolved in the bundle, which never loads them). Runs after tsc. esbuild is a
// dependency, but its binary is a per-platform package that may be missing: then the bundle is
// simply not made and the CLI runs from dist/cli as for every other command.
//
// The bundle lies three folders below the package root, as dist/cli/volume/native-crypto.js
// does, so the native addon is found at the same relative path from either.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist/bundle/cli');
rmSync(outdir, { recursive: true, force: true });

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('keyhold: esbuild is not installed; the CLI runs unbundled.');
  process.exit(0);
}
await esbuild.build({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // commander is CommonJS: in an ES module bundle its require() calls of Node's own modules
  // need a require function.
  banner: {
    js: "import { createRequire as createRequireForCommander } from 'node:module';\nconst require = createRequireForCommander(import.meta.url);",
  },
  plugins: [
    {
      name: 'verify-only',
      setup(build) {
        build.onResolve({ filter: /^\.\/commands\// }, (args) =>
          args.path === './commands/verify.js' ? undefined : { path: args.path, external: true },
        );
        // Other packages stay in node_modules (some load files of their own by path); commander,
        // which every command loads, comes in, saving its eight files and their CommonJS parsing.
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path === 'commander' ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
