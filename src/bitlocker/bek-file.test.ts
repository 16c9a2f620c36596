import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusDir, corpusSkip } from '../../test/support/requirements.js';
import { BekFileError, looksLikeBekFile, readBekFile, writeBekFile } from './bek-file.js';

const corpusKeyId = '4381F759-C4F8-4DE0-BB61-FC33A831BDA5';

describe('startup key (.BEK) file from the corpus', { skip: corpusSkip() }, () => {
  const bytes = (): Buffer => readFileSync(join(corpusDir() ?? '', `${corpusKeyId}.BEK`));

  it('yields its key GUID, its 32-byte key and no volume GUID (a Windows 10 file)', () => {
    const bek = readBekFile(bytes());
    assert.equal(bek.keyId, corpusKeyId);
    assert.equal(bek.key.length, 32);
    assert.equal(bek.volumeId, undefined);
    assert.equal(bek.description, 'ExternalKey');
    assert.ok(looksLikeBekFile(bytes()));
  });

  it('is written back byte for byte from what was read, apart from the header timestamp', () => {
    const original = bytes();
    const bek = readBekFile(original);
    const written = writeBekFile({ keyId: bek.keyId, key: bek.key, created: bek.created });
    assert.equal(written.length, original.length);
    assert.deepEqual(written.subarray(0, 40), original.subarray(0, 40));
    assert.deepEqual(written.subarray(48), original.subarray(48));
  });
});

describe('startup key (.BEK) file writer and reader', () => {
  const key = Buffer.alloc(32, 0xa5);

  it('round-trips a Windows 11 style file with a volume GUID', () => {
    const volumeId = '8F595209-F5B9-49A0-85D4-CB8F80258C27';
    const bytes = writeBekFile({
      keyId: corpusKeyId,
      key,
      volumeId,
      created: new Date('2024-05-01T10:00:00Z'),
    });
    assert.equal(bytes.length, 180);
    const bek = readBekFile(bytes);
    assert.equal(bek.keyId, corpusKeyId);
    assert.equal(bek.volumeId, volumeId);
    assert.deepEqual(bek.key, key);
    assert.equal(bek.created?.toISOString(), '2024-05-01T10:00:00.000Z');
  });

  it('refuses damaged files with a typed error saying what is wrong', () => {
    const good = writeBekFile({ keyId: corpusKeyId, key });
    const cases: [Buffer, string][] = [
      [good.subarray(0, 20), 'too-short'],
      [good.subarray(0, 100), 'truncated'],
      [Buffer.concat([Buffer.alloc(8), good.subarray(8)]), 'bad-header'],
    ];
    const badEntry = Buffer.from(good);
    badEntry.writeUInt16LE(0xffff, 48);
    cases.push([badEntry, 'bad-entry']);
    for (const [bytes, code] of cases) {
      assert.throws(
        () => readBekFile(bytes),
        (error: unknown) => error instanceof BekFileError && error.code === code,
        code,
      );
    }
    assert.throws(() => writeBekFile({ keyId: corpusKeyId, key: key.subarray(0, 16) }), /32 bytes/);
  });
});
