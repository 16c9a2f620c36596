import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  readRecoveryKeyFile,
  recoveryKeyFileName,
  RecoveryFileError,
  writeRecoveryKeyFile,
} from './recovery-file.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/windows-output');
const id = '64311DEA-4587-4029-924A-BA299647998E';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';

function encode(text: string, encoding: 'utf16le' | 'utf16be' | 'utf8', bom: boolean): Buffer {
  const body =
    encoding === 'utf16be'
      ? Buffer.from(text, 'utf16le').swap16()
      : Buffer.from(text, encoding === 'utf8' ? 'utf8' : 'utf16le');
  const marks = { utf16le: [0xff, 0xfe], utf16be: [0xfe, 0xff], utf8: [0xef, 0xbb, 0xbf] };
  return bom ? Buffer.concat([Buffer.from(marks[encoding]), body]) : body;
}

describe('recovery key file writer', () => {
  it('writes the Windows layout: UTF-16LE with BOM, CRLF, TAB-indented ID and key', () => {
    const { fileName, bytes } = writeRecoveryKeyFile({
      protectorId: `{${id.toLowerCase()}}`,
      recoveryPassword: password.replace(/-/g, ' '),
    });
    assert.equal(fileName, `BitLocker Recovery Key ${id}.TXT`);
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    const text = bytes.subarray(2).toString('utf16le');
    const lines = text.split('\r\n');
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, 'only CRLF line ends');
    assert.equal(lines[0], 'BitLocker Drive Encryption recovery key');
    assert.equal(lines[4], 'Identifier:');
    assert.equal(lines[6], `\t${id}`);
    assert.equal(lines[10], 'Recovery Key:');
    assert.equal(lines[12], `\t${password}`);
  });

  it('writes Norwegian Bokmål wording around the same layout, under the Norwegian name', () => {
    const { fileName, bytes } = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: password,
      language: 'nb',
    });
    assert.equal(fileName, `BitLocker-gjenopprettingsnøkkel ${id}.TXT`);
    assert.equal(recoveryKeyFileName(id, 'nb'), fileName);
    const lines = bytes.subarray(2).toString('utf16le').split('\r\n');
    assert.equal(lines[0], 'Gjenopprettingsnøkkel for BitLocker-stasjonskryptering');
    assert.equal(lines[8]?.startsWith('Når de to stemmer overens'), true);
    assert.equal(lines[10], 'Gjenopprettingsnøkkel:');
    assert.equal(lines[4], 'Identifikator:');
    assert.equal(lines[6], `\t${id}`);
    assert.equal(lines[12], `\t${password}`);
  });

  it('refuses an invalid password, naming the block, and an invalid ID', () => {
    assert.throws(
      () =>
        writeRecoveryKeyFile({
          protectorId: id,
          recoveryPassword: password.replace('0133', '0313'),
        }),
      (error: unknown) =>
        error instanceof RecoveryFileError && error.message.includes('Block 4 (031365)'),
    );
    assert.throws(
      () => writeRecoveryKeyFile({ protectorId: '64311DEA', recoveryPassword: password }),
      /not a key protector ID/,
    );
    assert.throws(() => recoveryKeyFileName('nope'), /not a key protector ID/);
  });
});

describe('recovery key file reader', () => {
  it('reads back what the writer wrote, in both languages', () => {
    for (const language of ['en', 'nb'] as const) {
      const { bytes } = writeRecoveryKeyFile({
        protectorId: id,
        recoveryPassword: password,
        language,
      });
      assert.deepEqual(readRecoveryKeyFile(bytes), [
        { protectorId: id, recoveryPassword: password },
      ]);
    }
  });

  it('reads any encoding, line ending and indentation', () => {
    const text = `Clé de récupération\n\nIdentificateur :\n  ${id.toLowerCase()}\n\nClé :\n    ${password}\n`;
    for (const encoding of ['utf16le', 'utf16be', 'utf8'] as const) {
      for (const bom of [true, false]) {
        for (const lineEnd of ['\n', '\r\n']) {
          const bytes = encode(text.replace(/\n/g, lineEnd), encoding, bom);
          assert.deepEqual(
            readRecoveryKeyFile(bytes),
            [{ protectorId: id, recoveryPassword: password }],
            `${encoding} bom=${bom} ${JSON.stringify(lineEnd)}`,
          );
        }
      }
    }
  });

  it('reads a German file saved as UTF-8 and a Windows 7 file in UTF-16BE', () => {
    assert.deepEqual(
      readRecoveryKeyFile(readFileSync(join(fixtures, 'recovery-key-de-utf8-lf.txt'))),
      [
        {
          protectorId: '6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC',
          recoveryPassword: '689711-617177-688567-239217-411037-395659-651365-321915',
        },
      ],
    );
    // The Windows 7 file shows a shortened identifier before the full one.
    assert.deepEqual(
      readRecoveryKeyFile(readFileSync(join(fixtures, 'recovery-key-win7-utf16be.txt'))),
      [{ protectorId: id, recoveryPassword: password }],
    );
  });

  it('pairs several keys pasted into one text in order', () => {
    const other = '6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC';
    const otherPassword = '689711-617177-688567-239217-411037-395659-651365-321915';
    const text = `${id}\n${password}\n\n${other}\n${otherPassword}\n`;
    assert.deepEqual(readRecoveryKeyFile(Buffer.from(text)), [
      { protectorId: id, recoveryPassword: password },
      { protectorId: other, recoveryPassword: otherPassword },
    ]);
  });

  it('says what is missing when the text is not a usable recovery key file', () => {
    const cases: [string | Buffer, string, RegExp][] = [
      ['Shopping list: eggs, milk', 'no-recovery-password', /no valid 48-digit/],
      [
        `Identifier: ${id}\nKey: ${password.replace('591910', '591901')}`,
        'no-recovery-password',
        /block 8 \(591901\)/,
      ],
      [`Recovery key: ${password}`, 'no-protector-id', /no full key protector ID/],
      [
        `${id}\n${password}\n6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC`,
        'ambiguous',
        /2 key protector IDs and 1/,
      ],
      [Buffer.from([0, 1, 2, 3, 200, 201, 7, 8, 0, 0, 0, 5]), 'not-text', /binary data/],
    ];
    for (const [input, code, message] of cases) {
      assert.throws(
        () => readRecoveryKeyFile(typeof input === 'string' ? Buffer.from(input) : input),
        (error: unknown) =>
          error instanceof RecoveryFileError && error.code === code && message.test(error.message),
        code,
      );
    }
  });
});
