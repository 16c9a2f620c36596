import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusDir, corpusSkip } from '../../test/support/requirements.js';
import { writeBekFile } from './bek-file.js';
import {
  bufferSource,
  readKeySource,
  UnreadableKeySourceError,
  type FoundKey,
} from './key-sources.js';
import { writeRecoveryKeyFile } from './recovery-file.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/windows-output');

/** Reads a fixture under a misleading name: detection must go by content alone. */
async function readAs(file: string): Promise<FoundKey[]> {
  return readKeySource(bufferSource('misleading-name.png', readFileSync(join(fixtures, file))));
}

async function unreadable(bytes: Uint8Array): Promise<string> {
  try {
    await readKeySource(bufferSource('input.txt', bytes));
  } catch (error) {
    if (error instanceof UnreadableKeySourceError) return error.looksLike.en;
    throw error;
  }
  assert.fail('expected the input to be unreadable');
}

describe('key sources: detection by content', () => {
  it('reads each Windows tool output and says which format it was', async () => {
    const expected: [string, string, number, number][] = [
      ['manage-bde-protectors-get-en.txt', 'manage-bde', 5, 2],
      ['manage-bde-protectors-get-de.txt', 'manage-bde', 2, 1],
      ['get-bitlockervolume-ps51.json', 'powershell-json', 5, 2],
      ['get-bitlockervolume-ps7.json', 'powershell-json', 2, 1],
      ['recovery-key-de-utf8-lf.txt', 'recovery-key-file', 1, 1],
      ['recovery-key-win7-utf16be.txt', 'recovery-key-file', 1, 1],
    ];
    for (const [file, format, protectors, passwords] of expected) {
      const keys = await readAs(file);
      assert.deepEqual(
        [
          new Set(keys.map((key) => key.format)),
          keys.length,
          keys.filter((key) => key.recoveryPassword).length,
        ],
        [new Set([format]), protectors, passwords],
        file,
      );
      assert.ok(keys.every((key) => key.source === 'misleading-name.png'));
    }
  });

  it('reads a recovery key file written by Keyhold and a .BEK file', async () => {
    const id = '64311DEA-4587-4029-924A-BA299647998E';
    const password = '235818-357951-253979-013365-241120-245575-342914-591910';
    const { bytes } = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: password,
      language: 'nb',
    });
    assert.deepEqual(await readKeySource(bufferSource('a', bytes)), [
      {
        protectorId: id,
        type: 'recovery-password',
        recoveryPassword: password,
        source: 'a',
        format: 'recovery-key-file',
      },
    ]);
    const volume = '8F595209-F5B9-49A0-85D4-CB8F80258C27';
    const bek = writeBekFile({ keyId: id, key: Buffer.alloc(32, 1), volumeId: volume });
    assert.deepEqual(await readKeySource(bufferSource('b', bek)), [
      { protectorId: id, type: 'external-key', volume, source: 'b', format: 'bek' },
    ]);
  });

  it('points from manage-bde -status output to the command that lists the keys', async () => {
    await assert.rejects(
      readAs('manage-bde-status-en.txt'),
      (error: unknown) =>
        error instanceof UnreadableKeySourceError &&
        error.looksLike.en === 'manage-bde output' &&
        error.message.includes('manage-bde -protectors -get C:'),
    );
  });

  it('says what an unreadable file looks like', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    assert.equal(await unreadable(png), 'a PNG image');
    assert.equal(await unreadable(Buffer.from('%PDF-1.7\n')), 'a PDF document');
    assert.equal(await unreadable(Buffer.alloc(0)), 'an empty file');
    assert.equal(
      await unreadable(Buffer.from([0, 159, 146, 150, 1, 2, 3, 4, 5, 200])),
      'binary data',
    );
    assert.equal(await unreadable(Buffer.from('Dear diary, today I backed up nothing.')), 'text');
  });
});

describe('key sources: the corpus startup key file', { skip: corpusSkip() }, () => {
  it('yields its GUID', async () => {
    const file = join(corpusDir() ?? '', '4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK');
    const [key, ...others] = await readKeySource(bufferSource(file, readFileSync(file)));
    assert.equal(others.length, 0);
    assert.equal(key?.protectorId, '4381F759-C4F8-4DE0-BB61-FC33A831BDA5');
    assert.equal(key.type, 'external-key');
  });
});
