import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corpusImage, sparseCopy } from '../cli/volume-corpus.js';
import { keyholdBin, repoRoot } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';

/** Long enough for a slow, shared machine to start the CLI; far shorter than "forever". */
const hangLimitMs = 20_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI and kills it if it is still running after `hangLimitMs`. */
function runGuarded(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [keyholdBin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: hangLimitMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end();
  });
}

function assertOneLineError(run: Run, pattern: RegExp): void {
  assert.equal(run.signal, null, `killed after ${hangLimitMs} ms: the command hung`);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${run.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at |RangeError|TypeError/);
}

describe('unlock never writes a short or partial volume', { skip: corpusSkip() }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-truncated-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const image = () => corpusImage('bitlk-aes-xts-128');
  // 60 MiB lies past every metadata copy, so the volume still opens; only its end is missing.
  const cuts = [
    { name: 'on a sector boundary', size: 60 * 1024 * 1024 },
    { name: 'in the middle of a sector', size: 60 * 1024 * 1024 + 100 },
  ];
  for (const cut of cuts) {
    it(`refuses an image truncated ${cut.name}, leaving no output and no .partial`, async () => {
      const work = join(dir, String(cut.size));
      await mkdir(work);
      const copy = sparseCopy(image(), work);
      await truncate(copy, cut.size);
      const outDir = join(work, 'out');
      await mkdir(outDir);
      const run = await runGuarded([
        'unlock',
        copy,
        '--recovery-password',
        image().recoveryPassword ?? '',
        '--out',
        join(outDir, 'plain.img'),
      ]);
      assertOneLineError(
        run,
        new RegExp(
          `^error: .*: The image is ${cut.size.toLocaleString('en-US')} bytes but the BitLocker metadata gives the volume as 104,857,600 bytes: the image is incomplete\\.`,
        ),
      );
      assert.equal(run.stdout, '');
      assert.deepEqual(await readdir(outDir), []);
    });
  }

  it('writes nothing to standard output for a truncated image', async () => {
    const work = join(dir, 'stdout');
    await mkdir(work);
    const copy = sparseCopy(image(), work);
    await truncate(copy, 80 * 1024 * 1024);
    const run = await runGuarded(['unlock', copy, '--clear-key', '--out', '-']);
    assertOneLineError(run, /the image is incomplete/);
    assert.equal(run.stdout, '');
  });
});

describe('special files are refused at once', () => {
  let dir = '';
  let fifo = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-special-'));
    fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const recoveryPassword = '235818-357951-253979-013365-241120-245575-342914-591910';
  const commands: { name: string; args: (path: string) => string[]; accepts: string }[] = [
    { name: 'read', args: (path) => ['read', path], accepts: 'a regular file' },
    { name: 'inspect', args: (path) => ['inspect', path], accepts: 'a regular file or a block' },
    {
      name: 'verify',
      args: (path) => ['verify', path, '--recovery-password', recoveryPassword],
      accepts: 'a regular file or a block',
    },
    {
      name: 'unlock',
      args: (path) => ['unlock', path, '--clear-key', '--out', join(dir, 'out', 'plain.img')],
      accepts: 'a regular file or a block',
    },
  ];
  const kinds = [
    { kind: 'a FIFO', path: () => fifo, words: 'a named pipe \\(FIFO\\)' },
    { kind: 'a character device', path: () => '/dev/zero', words: 'a character device' },
    { kind: 'a folder', path: () => dir, words: 'a folder' },
  ];
  for (const command of commands) {
    for (const kind of kinds) {
      it(`${command.name} refuses ${kind.kind} without waiting`, async () => {
        await mkdir(join(dir, 'out'), { recursive: true });
        const path = kind.path();
        const run = await runGuarded(command.args(path));
        assertOneLineError(
          run,
          new RegExp(`^error: ${path} is ${kind.words}; Keyhold reads only ${command.accepts}`),
        );
        assert.deepEqual(await readdir(join(dir, 'out')), []);
      });
    }
  }

  it('unlock refuses a FIFO given as the startup key file', async () => {
    // The key is read before the image is opened, so no image is needed.
    const run = await runGuarded(['unlock', join(dir, 'any.img'), '--bek', fifo, '--out', '-']);
    assertOneLineError(run, /is a named pipe \(FIFO\); Keyhold reads only a regular file/);
  });
});
