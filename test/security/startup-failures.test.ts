import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { keyholdBin, repoRoot, type CliResult } from '../support/cli.js';
import { createTestDatabase, databaseKinds } from '../server/databases.js';
import { startServe, testServeEnv } from '../server/serve-process.js';
import { requirement } from '../support/requirements.js';

const isRoot = process.getuid?.() === 0;
/** The account root lends a process that must meet "permission denied". */
const nobody = 65_534;

/**
 * Runs `keyhold serve` on a free port and waits for it to end; one that starts serving instead
 * is stopped after 30 s, and the test fails on its exit code.
 */
function serve(
  dataDir: string,
  options: { uid?: number; args?: string[]; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        keyholdBin,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        ...(options.args ?? []),
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          ...testServeEnv,
          KEYHOLD_LOG_LEVEL: 'info',
          NO_COLOR: '1',
          ...options.env,
        },
        ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
      },
    );
    const timer = setTimeout(() => child.kill('SIGTERM'), 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit code 3 and one `error:` line that says what is wrong, with no stack trace anywhere. */
function assertRefused(result: CliResult, reason: RegExp, prefix = 'error'): void {
  const lines = result.stderr.trim().split('\n');
  assert.equal(result.code, 3, `${result.stdout}${result.stderr}`);
  assert.equal(lines.length, 1, result.stderr);
  assert.ok((lines[0] ?? '').startsWith(`${prefix}: `), lines[0]);
  assert.match(lines[0] ?? '', reason);
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /);
}

describe('keyhold serve refuses to start', () => {
  let dir: string;
  const mounts: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-startup-'));
  });
  after(async () => {
    for (const mount of mounts) execFileSync('umount', [mount]);
    await rm(dir, { recursive: true, force: true });
  });

  it('when master.key is missing for a database with sealed secrets, and writes no key', async () => {
    const dataDir = join(dir, 'lost-key');
    const first = await startServe(['--data-dir', dataDir]);
    assert.equal(await first.stop(), 0);
    await rm(join(dataDir, 'master.key'));

    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await serve(dataDir);
      assertRefused(result, /master\.key is missing/);
      assert.match(result.stderr, /Restore master\.key/);
      assert.deepEqual(
        (await readdir(dataDir)).filter((name) => name.includes('master')),
        [],
        'no key file and no temporary key file',
      );
    }
  });

  it(
    'when master.key is missing for a PostgreSQL database with sealed secrets',
    { skip: databaseKinds.find((kind) => kind.name === 'postgres')?.skip ?? false },
    async () => {
      const testDb = await createTestDatabase('postgres');
      const database = ['--database-url', testDb.databaseUrl ?? ''];
      try {
        const first = await startServe(['--data-dir', testDb.dataDir, ...database]);
        assert.equal(await first.stop(), 0);
        await rm(join(testDb.dataDir, 'master.key'));
        assertRefused(await serve(testDb.dataDir, { args: database }), /master\.key is missing/);
        assert.deepEqual(await readdir(testDb.dataDir), []);
      } finally {
        await testDb.cleanup();
      }
    },
  );

  it('when the data folder is a file', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    assertRefused(await serve(file), /data folder .*a-file cannot be used: it is a file/);
  });

  it('and says why in Bokmål to a Norwegian terminal', async () => {
    const file = join(dir, 'another-file');
    await writeFile(file, 'not a folder');
    assertRefused(
      await serve(file, { env: { KEYHOLD_LANG: 'nb' } }),
      /datamappen .*another-file kan ikke brukes: den er en fil, ikke en mappe\. Gi --data-dir/,
      'feil',
    );
    const dataDir = join(dir, 'open-key');
    const first = await startServe(['--data-dir', dataDir]);
    assert.equal(await first.stop(), 0);
    await chmod(join(dataDir, 'master.key'), 0o644);
    assertRefused(
      await serve(dataDir, { env: { KEYHOLD_LANG: 'nb' } }),
      /hovednøkkelfilen .*master\.key kan leses av andre brukere; kjør: chmod 600/,
      'feil',
    );
  });

  it(
    'when the data folder is on a read-only file system',
    { skip: requirement('mount', isRoot ? undefined : 'mounting a read-only tmpfs needs root') },
    async (t: TestContext) => {
      const mount = join(dir, 'read-only');
      await mkdir(mount);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount], {
          stdio: 'pipe',
        });
      } catch (error) {
        const reason = `this machine refuses to mount a tmpfs (${(error as Error).message})`;
        t.skip(requirement('mount', reason) || undefined);
        return;
      }
      mounts.push(mount);
      for (const dataDir of [mount, join(mount, 'keyhold')]) {
        assertRefused(
          await serve(dataDir),
          new RegExp(`data folder ${dataDir} cannot be used: it is on a read-only file system`),
        );
      }
    },
  );

  it('when the data folder may not be written by its user', async () => {
    // Root may write anywhere: it lends the server process the account "nobody" instead.
    const locked = join(dir, 'locked');
    await mkdir(locked, { mode: isRoot ? 0o700 : 0o500 });
    const dataDir = join(locked, 'keyhold');
    const result = await serve(dataDir, isRoot ? { uid: nobody } : {});
    assertRefused(result, new RegExp(`data folder ${dataDir} cannot be used: permission denied`));
    assert.equal(existsSync(dataDir), false);
  });

  it('with --workers 2, as one line from the first worker', async () => {
    const file = join(dir, 'a-file');
    assertRefused(
      await serve(file, { args: ['--workers', '2'] }),
      /data folder .*a-file cannot be used: it is a file/,
    );
  });
});
