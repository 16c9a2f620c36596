import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKeyhold } from '../support/cli.js';

describe('a file the CLI cannot open is told the same way by every command', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-input-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const missing = () => join(dir, 'missing.txt');
  const cases = [
    {
      name: 'read',
      args: () => ['read', missing()],
      says: () => `${missing()}: cannot open: no such file.`,
    },
    {
      name: 'backup --from',
      args: () => ['backup', '--from', missing(), '--to', 'file', '--file', dir, '--yes'],
      says: () => `--from ${missing()}: cannot open: no such file.`,
    },
    {
      name: 'verify --bek',
      args: () => ['verify', join(dir, 'disk.img'), '--bek', missing()],
      says: () => `--bek ${missing()}: cannot open: no such file.`,
    },
    {
      name: 'inspect',
      args: () => ['inspect', missing()],
      says: () => `${missing()}: cannot open: no such file or device.`,
    },
  ];
  for (const { name, args, says } of cases) {
    it(`${name} names the path and the reason, and exits 2`, async () => {
      const result = await runKeyhold(args());
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr, `error: ${says()}\n`);
    });
  }

  it(
    'says permission denied for a file it may not read',
    { skip: process.getuid?.() === 0 && 'root may read any file, so nothing is denied' },
    async () => {
      const locked = join(dir, 'locked.txt');
      await writeFile(locked, 'x');
      await chmod(locked, 0o000);
      const result = await runKeyhold(['read', locked]);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `error: ${locked}: cannot open: permission denied.\n`);
    },
  );
});
