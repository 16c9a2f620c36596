import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { testServeEnv } from '../server/serve-process.js';
import { keyholdBin, runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage } from './volume-corpus.js';

/** Runs the CLI with its standard output closed before it starts: its first write fails. */
function runWithOutputClosed(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [keyholdBin, ...args]);
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => {
      resolve({ code, stderr });
    });
  });
}

describe('keyhold entry point', () => {
  it('stops quietly when the reader of its output goes away (keyhold --help | head -1)', async () => {
    const result = await runWithOutputClosed(['--help']);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });

  it(
    'stops quietly there too when a key check from its bundle prints its answer',
    {
      skip: corpusSkip(),
    },
    async () => {
      const image = corpusImage('bitlk-aes-xts-128');
      const result = await runWithOutputClosed([
        'verify',
        image.path,
        '--recovery-password',
        image.recoveryPassword ?? '',
      ]);
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
    },
  );

  it('answers an unknown command with usage help and exit code 2', async () => {
    const result = await runKeyhold(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'frobnicate'/);
  });

  it('says in one line that the port is taken, with exit 3 as serve --help lists', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const dataDir = await mkdtemp(join(tmpdir(), 'keyhold-port-'));
    try {
      const result = await runKeyhold(
        ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
        { env: testServeEnv },
      );
      assert.equal(result.code, 3);
      assert.ok(
        result.stderr.includes(
          `error: Cannot listen on 127.0.0.1:${port}: another program already listens there. Stop it, or choose another --port.\n`,
        ),
        result.stderr,
      );
      assert.doesNotMatch(result.stderr, /Node\.js v|at .*\.js:\d+/);
    } finally {
      taken.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
