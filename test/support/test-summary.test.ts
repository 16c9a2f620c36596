import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { summarizeTap } from '../../scripts/test-summary.js';
import { repoRoot } from './cli.js';

describe('the closing line of npm test', () => {
  it('counts and names suites skipped whole, not only skipped tests', () => {
    // Without this the child would report to this runner instead of writing TAP.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=tap',
        join(repoRoot, 'test/fixtures/runner/skipping-suites.fixture.ts'),
      ],
      { cwd: repoRoot, encoding: 'utf8', env },
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = summarizeTap(run.stdout);
    assert.equal(summary.passed, 1);
    assert.equal(summary.failed, 0);
    assert.deepEqual(summary.skips, [
      { name: 'is skipped on its own', reason: 'not on this platform' },
      { name: 'a suite skipped whole', reason: 'KEYHOLD_TEST_DATABASE_URL is not set' },
    ]);
  });
});
