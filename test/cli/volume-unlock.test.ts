import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keyholdBin, runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import {
  corpusImage,
  corpusImages,
  runKeyholdHashingStdout,
  sha256File,
  type CorpusImage,
} from './volume-corpus.js';

const skip = corpusSkip();

function secretArgs(image: CorpusImage): string[] {
  return image.recoveryPassword ? ['--recovery-password', image.recoveryPassword] : ['--clear-key'];
}

describe('keyhold unlock --out in a folder that does not exist', () => {
  it('says the folder does not exist (exit 2) before reading anything, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyhold-unlock-out-'));
    try {
      // Not a volume at all: the missing folder is reported before the image is even read.
      const image = join(dir, 'disk.img');
      await writeFile(image, Buffer.alloc(4096));
      const missing = join(dir, 'missing', 'dir');
      const out = join(missing, 'x.img');
      const result = await runKeyhold(['unlock', image, '--clear-key', '--out', out]);
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        `error: --out ${out}: the folder ${missing} does not exist. Create it first, or choose another --out.\n`,
      );
      assert.deepEqual(await readdir(dir), ['disk.img']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('keyhold unlock', { skip }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-unlock-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const image of corpusImages().filter((i) => i.sha256)) {
    it(`writes the decrypted ${image.name} with the reference SHA-256`, async () => {
      const out = join(dir, `${image.name}.plain`);
      const before = await stat(image.path);
      const result = await runKeyhold(['unlock', image.path, ...secretArgs(image), '--out', out]);
      assert.equal(result.code, 0, result.stderr);
      // No terminal: no progress bar, only the summary.
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^Wrote [\d,]+ bytes of decrypted volume to /);
      assert.equal(await sha256File(out), image.sha256);
      assert.equal((await stat(out)).mode & 0o777, 0o600);
      assert.equal((await stat(image.path)).mtimeMs, before.mtimeMs);
      await rm(out);
    });
  }

  it('streams to standard output and reports JSON on standard error', async () => {
    const image = corpusImage('bitlk-aes-xts-128-startup-key');
    const result = await runKeyholdHashingStdout([
      'unlock',
      image.path,
      '--bek',
      join(dir, '..', 'no-such.BEK'),
      '--out',
      '-',
    ]);
    assert.equal(result.code, 2);
    assert.equal(result.stdoutBytes, 0);

    const streamed = await runKeyholdHashingStdout([
      'unlock',
      image.path,
      '--recovery-password',
      image.recoveryPassword ?? '',
      '--out',
      '-',
      '--json',
    ]);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.equal(streamed.stdoutSha256, image.sha256);
    const summary = JSON.parse(streamed.stderr) as { bytes: number; protectorId: string };
    assert.equal(summary.bytes, streamed.stdoutBytes);
    assert.equal(summary.protectorId, image.recoveryProtectorId?.toUpperCase());
  });

  it('stops quietly (exit 0) when the reader of standard output stops early, as `| head` does', async () => {
    const image = corpusImage('bitlk-aes-xts-128-clearkey-only');
    const child = spawn(
      process.execPath,
      [keyholdBin, 'unlock', image.path, '--clear-key', '--out', '-'],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('refuses a used-space-only volume with the reason, writing nothing', async () => {
    const image = corpusImage('bitlk-aes-xts-128-eow');
    const out = join(dir, 'eow.plain');
    const result = await runKeyhold([
      'unlock',
      image.path,
      '--recovery-password',
      image.recoveryPassword ?? '',
      '--out',
      out,
    ]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /encryption mode used space only \(encrypt on write\), conversion fully encrypted/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('leaves nothing behind for a wrong key, and never replaces a file without --force', async () => {
    const image = corpusImage('bitlk-aes-xts-128');
    const out = join(dir, 'plain.img');
    const wrong = await runKeyhold(['unlock', image.path, '--password', 'nope', '--out', out]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /this key does not open this volume/);
    assert.deepEqual(await readdir(dir), []);

    await writeFile(out, 'keep me');
    const refused = await runKeyhold(['unlock', image.path, '--clear-key', '--out', out]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists/);
    const replaced = await runKeyhold([
      'unlock',
      image.path,
      '--password',
      'anaconda',
      '--out',
      out,
      '--force',
    ]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(await sha256File(out), image.sha256);
    assert.deepEqual(await readdir(dir), ['plain.img']);
    await rm(out);
  });

  it('refuses to write over the volume it reads', async () => {
    const image = corpusImage('bitlk-aes-xts-128');
    const result = await runKeyhold([
      'unlock',
      image.path,
      '--clear-key',
      '--out',
      image.path,
      '--force',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is the volume being read/);
  });
});
