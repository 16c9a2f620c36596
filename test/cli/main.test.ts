import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { keyholdBin } from '../support/cli.js';

describe('keyhold entry point', () => {
  it('stops quietly when the reader of its output goes away (keyhold --help | head -1)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [keyholdBin, '--help']);
      // Closing our end before the CLI has started guarantees its first write hits a closed pipe.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => {
        resolve({ code, stderr });
      });
    });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });

  it('answers an unknown command with usage help and exit code 2', async () => {
    const { runKeyhold } = await import('../support/cli.js');
    const result = await runKeyhold(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'frobnicate'/);
  });
});
