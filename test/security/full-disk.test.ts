import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { corpusImage } from '../cli/volume-corpus.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { randomKey, testPassword, uniqueEmail } from '../server/key-library.js';
import { keyholdBin, repoRoot } from '../support/cli.js';
import { corpusSkip, requirement } from '../support/requirements.js';

/** Mounting a small file system needs root; anyone else skips (CI requires it). */
const mountSkip = requirement(
  'mount',
  process.getuid?.() === 0 ? undefined : 'mounting a small tmpfs needs root',
);

/** Writes zeros into `file` until the file system has no space left. */
async function fillUp(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

describe('a full disk', { skip: mountSkip }, () => {
  let mountPoint: string;
  let mountFailure: string | undefined;
  let server: TestApp | undefined;
  before(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'keyhold-full-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mountPoint], {
        stdio: 'pipe',
      });
    } catch (error) {
      mountFailure = `this machine refuses to mount a tmpfs (${(error as Error).message})`;
    }
  });
  after(async () => {
    await server?.close();
    if (mountFailure === undefined) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('is named in the log as the cause of failed writes (SQLITE_FULL)', async (t: TestContext) => {
    if (mountFailure !== undefined) {
      t.skip(requirement('mount', mountFailure) || undefined);
      return;
    }
    server = await startTestApp('sqlite', { flags: { dataDir: mountPoint }, logLevel: 'error' });
    const browser = new TestBrowser(server.app);
    await browser.signup(uniqueEmail('full'), testPassword);
    await fillUp(join(mountPoint, 'filler'));
    let failed = 0;
    for (let round = 0; round < 20 && failed === 0; round++) {
      const replies = await Promise.all(
        Array.from({ length: 50 }, () =>
          browser.request('POST', '/api/v1/keys', { body: randomKey() }),
        ),
      );
      failed = replies.filter((reply) => reply.status === 500).length;
    }
    assert.ok(failed > 0, 'writes fail once the disk is full');
    const log = server.log();
    assert.match(log, /SQLITE_FULL/);
    assert.doesNotMatch(log, /no transaction is active/);
  });
});

/** Runs the CLI with standard output going to `stdoutFd` (a file, say), collecting stderr. */
function runWithStdout(
  args: string[],
  stdoutFd: number | 'ignore',
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [keyholdBin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', stdoutFd, 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stderr });
    });
  });
}

describe('unlock onto a full disk', { skip: mountSkip || corpusSkip() }, () => {
  let mountPoint: string;
  let mountFailure: string | undefined;
  before(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'keyhold-full-unlock-'));
    try {
      // 1 MiB: the first chunk of the 100 MB volume already does not fit.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint], {
        stdio: 'pipe',
      });
    } catch (error) {
      mountFailure = `this machine refuses to mount a tmpfs (${(error as Error).message})`;
    }
  });
  after(async () => {
    if (mountFailure === undefined) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  const image = () => corpusImage('bitlk-aes-xts-128-clearkey-only');
  const paths = [
    { name: 'the native addon (when built)', env: {} },
    { name: 'the WebAssembly path', env: { KEYHOLD_NATIVE: '0' } },
  ];
  for (const path of paths) {
    it(`says the write failed and leaves nothing behind, on ${path.name}`, async (t) => {
      if (mountFailure !== undefined) {
        t.skip(requirement('mount', mountFailure) || undefined);
        return;
      }
      const out = join(mountPoint, 'plain.img');
      const run = await runWithStdout(
        ['unlock', image().path, '--clear-key', '--out', out],
        'ignore',
        path.env,
      );
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stderr, `error: Writing ${out} failed (ENOSPC).\n`);
      assert.deepEqual(await readdir(mountPoint), []);
    });

    it(`says so in one line when standard output is a file on it, on ${path.name}`, async (t) => {
      if (mountFailure !== undefined) {
        t.skip(requirement('mount', mountFailure) || undefined);
        return;
      }
      const redirected = join(mountPoint, 'redirected.img');
      const handle = await open(redirected, 'w');
      try {
        const run = await runWithStdout(
          ['unlock', image().path, '--clear-key', '--out', '-'],
          handle.fd,
          path.env,
        );
        assert.equal(run.code, 3, run.stderr);
        assert.equal(run.stderr, 'error: Writing standard output failed (ENOSPC).\n');
      } finally {
        await handle.close();
        await rm(redirected);
      }
    });
  }
});
