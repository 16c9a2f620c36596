/**
 * How much JavaScript a browser downloads before the web app can show its first page, gzip
 * compressed, against the 150 KB budget and against a bare React "hello world" built the same
 * way in the same run. Also prints the total of every chunk (pages load on demand).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'web', 'dist');
const budgetBytes = 150 * 1024;

function gzipBytes(path: string): number {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The entry script and every module it preloads, as index.html lists them. */
function initialScripts(distDir: string): string[] {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)].map((match) => match[1]);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
    (match) => match[1],
  );
  return [...entry, ...preloads]
    .filter((path): path is string => path !== undefined)
    .map((path) => join(distDir, path));
}

const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web-if-stale.js')], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(1);

const assets = readdirSync(join(dist, 'assets'));
const scripts = assets.filter((name) => name.endsWith('.js'));
// The app waits for the reader's language before its first render; the larger one counts.
const languageChunks = scripts.filter((name) => /^(en|nb)-/.test(name));
const largestLanguage = Math.max(
  ...languageChunks.map((name) => gzipBytes(join(dist, 'assets', name))),
);
const initial = initialScripts(dist);
const initialGzip = initial.reduce((sum, path) => sum + gzipBytes(path), 0) + largestLanguage;
const allGzip = scripts.reduce((sum, name) => sum + gzipBytes(join(dist, 'assets', name)), 0);
const allRaw = scripts.reduce(
  (sum, name) => sum + readFileSync(join(dist, 'assets', name)).length,
  0,
);
const css = assets.filter((name) => name.endsWith('.css'));
const cssGzip = css.reduce((sum, name) => sum + gzipBytes(join(dist, 'assets', name)), 0);

// Baseline: React and ReactDOM rendering one heading, built by the same Vite and plugin.
const baselineDir = join(root, 'test-output', 'bench-react-baseline');
rmSync(baselineDir, { recursive: true, force: true });
mkdirSync(baselineDir, { recursive: true });
writeFileSync(
  join(baselineDir, 'index.html'),
  '<!doctype html><div id="root"></div><script type="module" src="/main.jsx"></script>',
);
writeFileSync(
  join(baselineDir, 'main.jsx'),
  "import { createRoot } from 'react-dom/client';\n" +
    "createRoot(document.getElementById('root')).render(<h1>Hello</h1>);\n",
);
await build({
  root: baselineDir,
  configFile: false,
  logLevel: 'silent',
  plugins: [react()],
  build: { outDir: 'dist', target: 'es2022' },
});
const baselineGzip = initialScripts(join(baselineDir, 'dist')).reduce(
  (sum, path) => sum + gzipBytes(path),
  0,
);
rmSync(baselineDir, { recursive: true, force: true });

console.log(`initial JavaScript (gzip):  ${kb(initialGzip)} in ${initial.length + 1} files`);
console.log(
  `  budget ${kb(budgetBytes)}: ${((initialGzip / budgetBytes) * 100).toFixed(0)}% used, ` +
    `${initialGzip <= budgetBytes ? 'within' : 'OVER'} budget`,
);
console.log(
  `  bare React hello world (same build): ${kb(baselineGzip)}; ` +
    `the app's first page is ${(initialGzip / baselineGzip).toFixed(2)}x that`,
);
console.log(
  `all JavaScript:             ${kb(allGzip)} gzip, ${kb(allRaw)} raw, ${scripts.length} files`,
);
console.log(`stylesheet:                 ${kb(cssGzip)} gzip`);
process.exitCode = initialGzip <= budgetBytes ? 0 : 1;
