/** `npm run bench`: every bench/*.ts except this one, one after another. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const benches = readdirSync(dir)
  .filter((name) => name.endsWith('.ts') && name !== 'run-all.ts')
  .sort();
const failed: string[] = [];
for (const name of benches) {
  console.log(`\n== ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, name)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed.push(name);
}
const passed = benches.length - failed.length;
const failures = failed.length > 0 ? `; failed: ${failed.join(', ')}` : '';
console.log(
  `\n${passed} of ${benches.length} benchmark${benches.length === 1 ? '' : 's'} finished${failures}`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
