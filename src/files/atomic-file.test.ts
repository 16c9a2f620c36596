import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAtomicFile, writeFileAtomically } from './atomic-file.js';

describe('atomic file writer', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-atomic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the file under its name only once it is committed, readable by its owner only', async () => {
    const target = join(dir, 'whole.txt');
    const file = await createAtomicFile(target);
    await file.write(Buffer.from('first half, '));
    await file.write(Buffer.from('second half'));
    assert.equal(await stat(target).catch(() => undefined), undefined);
    await file.commit();
    assert.equal(await readFile(target, 'utf8'), 'first half, second half');
    if (process.platform !== 'win32') assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['whole.txt']);
  });

  it('leaves nothing behind when aborted', async () => {
    const sub = await mkdtemp(join(dir, 'abort-'));
    const file = await createAtomicFile(join(sub, 'never.txt'));
    await file.write(Buffer.from('secret'));
    await file.abort();
    assert.deepEqual(await readdir(sub), []);
  });

  it('never replaces a file that appeared meanwhile unless told to', async () => {
    const target = join(dir, 'raced.txt');
    const file = await createAtomicFile(target);
    await file.write(Buffer.from('mine'));
    await writeFile(target, 'theirs');
    await assert.rejects(file.commit(), { code: 'EEXIST' });
    assert.equal(await readFile(target, 'utf8'), 'theirs');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
      [],
    );

    await writeFileAtomically(target, Buffer.from('replaced'), { replace: true });
    assert.equal(await readFile(target, 'utf8'), 'replaced');
  });

  it('fails without creating anything when the folder is missing', async () => {
    await assert.rejects(writeFileAtomically(join(dir, 'missing', 'x.txt'), Buffer.from('x')), {
      code: 'ENOENT',
    });
  });
});
