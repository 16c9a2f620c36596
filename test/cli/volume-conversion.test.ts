import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VolumeInspection } from '../../src/bitlocker/volume/inspection.js';
import { crc32 } from '../../src/bitlocker/volume/crc32.js';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage } from './volume-corpus.js';

const skip = corpusSkip();
const volumeSize = 104_857_600;
const english = { LC_ALL: 'C.UTF-8' };
const bokmal = { LC_ALL: 'nb_NO.UTF-8' };

/**
 * A copy of a Windows-made image whose metadata says the conversion stopped part-way: the state
 * fields and the encrypted size of every copy rewritten, each CRC fixed up as Windows would.
 */
async function withConversion(
  path: string,
  copy: string,
  state: { current: number; next: number; encryptedSize: number },
): Promise<void> {
  execFileSync('cp', ['--sparse=always', path, copy]);
  const file = await open(copy, 'r+');
  try {
    const header = Buffer.alloc(512);
    await file.read(header, 0, 512, 0);
    for (const at of [176, 184, 192]) {
      const offset = Number(header.readBigUInt64LE(at));
      const block = Buffer.alloc(0x10000);
      await file.read(block, 0, block.length, offset);
      block.writeUInt16LE(state.current, 12);
      block.writeUInt16LE(state.next, 14);
      block.writeBigUInt64LE(BigInt(state.encryptedSize), 16);
      const size = block.readUInt16LE(8) * 16;
      block.writeUInt32LE(crc32(block.subarray(0, size)), size + 4);
      await file.write(block, 0, block.length, offset);
    }
  } finally {
    await file.close();
  }
}

describe(
  'keyhold inspect and unlock on a volume whose conversion stopped part-way',
  { skip },
  () => {
    let dir = '';
    let paused = '';
    let decrypting = '';
    const image = () => corpusImage('bitlk-aes-xts-128');
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'keyhold-conversion-'));
      paused = join(dir, 'paused.img');
      decrypting = join(dir, 'decrypting.img');
      await withConversion(image().path, paused, { current: 5, next: 4, encryptedSize: 40 << 20 });
      await withConversion(image().path, decrypting, {
        current: 2,
        next: 1,
        encryptedSize: 75 << 20,
      });
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reports mode and conversion as separate fields, keeping state for scripts', async () => {
      const result = await runKeyhold(['inspect', paused, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const info = JSON.parse(result.stdout) as VolumeInspection;
      assert.equal(info.state, 'partially-encrypted');
      assert.equal(info.mode, 'full');
      assert.equal(info.conversion, 'paused');
      assert.equal(info.pausedWhile, 'encrypting');
      assert.equal(info.encryptedSize, 40 << 20);
      assert.equal(info.volumeSize, volumeSize);

      const other = JSON.parse(
        (await runKeyhold(['inspect', decrypting, '--json'])).stdout,
      ) as VolumeInspection;
      assert.equal(other.conversion, 'decrypting');
      assert.equal(other.pausedWhile, undefined);
    });

    it('shows the mode, the conversion and how much is encrypted, in English and Bokmål', async () => {
      const text = await runKeyhold(['inspect', paused], { env: english });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /Mode {13}full \(whole drive\)\n/);
      assert.match(text.stdout, /Conversion {7}paused while encrypting\n/);
      assert.match(text.stdout, /Encrypted {8}41,943,040 of 104,857,600 bytes \(40%\)\n/);

      const norsk = await runKeyhold(['inspect', decrypting], { env: bokmal });
      assert.equal(norsk.code, 0, norsk.stderr);
      assert.match(norsk.stdout, /Modus {12}hele stasjonen\n/);
      assert.match(norsk.stdout, /Konvertering {5}dekrypteres \(pågår\)\n/);
      assert.match(
        norsk.stdout,
        /Kryptert {9}78\u00a0643\u00a0200 av 104\u00a0857\u00a0600 byte \(75\u00a0%\)\n/,
      );
    });

    it('unlock refuses, naming the mode and the conversion, and writes nothing', async () => {
      const out = join(dir, 'out', 'plain.img');
      execFileSync('mkdir', ['-p', join(dir, 'out')]);
      const args = ['unlock', paused, '--recovery-password', image().recoveryPassword ?? ''];
      const refused = await runKeyhold([...args, '--out', out], { env: english });
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /encryption mode full \(whole drive\), conversion paused while encrypting, encrypted 41,943,040 of 104,857,600 bytes \(40%\)\. Until the conversion has finished/,
      );
      const norsk = await runKeyhold([...args, '--out', out], { env: bokmal });
      assert.equal(norsk.code, 2);
      assert.match(
        norsk.stderr,
        /krypteringsmodus hele stasjonen, konvertering kryptering midlertidig stanset, kryptert 41\u00a0943\u00a0040 av 104\u00a0857\u00a0600 byte \(40\u00a0%\)\. Før konverteringen er ferdig/,
      );
      assert.deepEqual(await readdir(join(dir, 'out')), []);
    });
  },
);
