import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importCycles, runtimeImports } from '../support/import-graph.js';
import { repoRoot } from '../support/cli.js';

// A module in a cycle can be read by another before its own body has run (an export still
// undefined at load time), and a cycle ties modules together that should stand apart.
describe('imports', () => {
  for (const tree of ['src', 'web/src']) {
    it(`form no cycle at run time in ${tree}`, () => {
      const cycles = importCycles(runtimeImports([join(repoRoot, tree)]), repoRoot);
      assert.deepEqual(
        cycles,
        [],
        `files importing each other in a circle:\n${cycles.map((cycle) => cycle.join(' -> ')).join('\n')}`,
      );
    });
  }
});
