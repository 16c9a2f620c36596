#!/usr/bin/env node
// Bundles the compiled CLI's entry with the `verify` and `unlock` commands (dist/cli/main.js and
// what it imports for them, commander included) into one file, dist/bundle/cli/main.js, which
// bin/keyhold.js runs for those two: Node then reads and compiles one file instead of about 45
// modules, which is a noticeable part of the time a key check takes (and about 25 ms of CPU of
// every unlock). The other commands are left out (their imports stay unresolved in the bundle,
// which never loads them). Runs after tsc. esbuild is a dependency, but its binary is a
// per-platform package that may be missing: then the bundle is simply not made and the CLI runs
// from dist/cli as for every other command.
//
// Node's own modules are loaded with require(), each when the code that uses it first runs,
// not imported at the top of the bundle: an ES module import of a built-in builds an ES module
// facade of it (about half a millisecond each), and would load them all up front, also those
// only a rarely taken branch needs (the account client's `net`, commander's `child_process`).
//
// The bundle lies three folders below the package root, as dist/cli/volume/native-crypto.js
// does, so the native addon is found at the same relative path from either.
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
/** The commands whose start is timed against C tools (bench/bitlocker.ts). */
const bundledCommands = new Set(['./commands/verify.js', './commands/unlock.js']);
const outdir = join(root, 'dist/bundle/cli');
rmSync(outdir, { recursive: true, force: true });

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('keyhold: esbuild is not installed; the CLI runs unbundled.');
  process.exit(0);
}

const builtins = new Set(builtinModules);
const isBuiltin = (path) => builtins.has(path.replace(/^node:/, ''));

await esbuild.build({
  // The WebAssembly path's decryption threads load unlock-worker.js from beside the code that
  // starts them: beside the bundle, it is a bundle of its own.
  entryPoints: [
    { in: join(root, 'dist/cli/main.js'), out: 'main' },
    { in: join(root, 'dist/cli/volume/unlock-worker.js'), out: 'unlock-worker' },
  ],
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Built-ins and commander (CommonJS) call require(), which an ES module lacks.
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module';\nconst require = createRequireOfBundle(import.meta.url);",
  },
  plugins: [
    {
      name: 'verify-only',
      setup(build) {
        build.onResolve({ filter: /^\.\/commands\// }, (args) =>
          bundledCommands.has(args.path) ? undefined : { path: args.path, external: true },
        );
        build.onResolve({ filter: /^[^./]/ }, (args) => {
          // The require() in the modules made below is Node's own.
          if (args.namespace !== 'file') return { path: args.path, external: true };
          if (isBuiltin(args.path)) {
            // commander requires child_process for subcommands that are programs of their own,
            // which Keyhold has none of: it gets the module the first time it uses it.
            const lazy = args.path.endsWith('child_process') && args.importer.includes('commander');
            return { path: args.path, namespace: lazy ? 'lazy-builtin' : 'builtin' };
          }
          // Other packages stay in node_modules (some load files of their own by path);
          // commander, which every command loads, comes in, saving its eight files.
          return args.path === 'commander' ? undefined : { path: args.path, external: true };
        });
        build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
          contents: `module.exports = require(${JSON.stringify(args.path)});`,
          loader: 'js',
        }));
        build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
          contents: `module.exports = new Proxy({}, { get: (_, name) => require(${JSON.stringify(args.path)})[name] });`,
          loader: 'js',
        }));
      },
    },
  ],
});
