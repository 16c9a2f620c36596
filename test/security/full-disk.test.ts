import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { randomKey, testPassword, uniqueEmail } from '../server/key-library.js';
import { requirement } from '../support/requirements.js';

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
