import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusDir, corpusSkip } from '../support/requirements.js';
import { repoRoot, runKeyhold } from '../support/cli.js';

const fixtures = join(repoRoot, 'test/fixtures/windows-output');

interface Listed {
  protectorId: string;
  type: string;
  recoveryPassword?: string;
  volume?: string;
  source: string;
}

describe('keyhold read', () => {
  it('lists the keys of several formats in one JSON array', async () => {
    const files = ['manage-bde-protectors-get-de.txt', 'get-bitlockervolume-ps7.json'].map((name) =>
      join(fixtures, name),
    );
    const result = await runKeyhold(['read', ...files, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const listed = JSON.parse(result.stdout) as Listed[];
    assert.deepEqual(
      listed.map(({ protectorId, type, recoveryPassword, volume, source }) => ({
        protectorId,
        type,
        recoveryPassword,
        volume,
        source,
      })),
      [
        {
          protectorId: 'E0E505E1-8E15-41AC-BCE5-AAAB111F2F7C',
          type: 'tpm-pin',
          recoveryPassword: undefined,
          volume: 'C:',
          source: files[0],
        },
        {
          protectorId: 'FF426889-5057-4676-A315-04826E1F0434',
          type: 'recovery-password',
          recoveryPassword: '294712-313533-606023-666886-300410-117062-406417-336864',
          volume: 'C:',
          source: files[0],
        },
        {
          protectorId: 'E0E505E1-8E15-41AC-BCE5-AAAB111F2F7C',
          type: 'tpm-pin',
          recoveryPassword: undefined,
          volume: 'C:',
          source: files[1],
        },
        {
          protectorId: '6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC',
          type: 'recovery-password',
          recoveryPassword: '689711-617177-688567-239217-411037-395659-651365-321915',
          volume: 'C:',
          source: files[1],
        },
      ],
    );
  });

  it('prints a readable list without --json', async () => {
    const result = await runKeyhold(['read', join(fixtures, 'recovery-key-win7-utf16be.txt')]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /recovery key text file, 1 key protector\n/);
    assert.match(
      result.stdout,
      /64311DEA-4587-4029-924A-BA299647998E {2}Numerical password \(recovery key\) {2}235818-357951-253979-013365-241120-245575-342914-591910/,
    );
  });

  it('reads manage-bde output piped to standard input', async () => {
    const input = await readFile(join(fixtures, 'manage-bde-protectors-get-en.txt'));
    const result = await runKeyhold(['read', '-', '--json'], { input });
    assert.equal(result.code, 0);
    const listed = JSON.parse(result.stdout) as Listed[];
    assert.deepEqual(
      listed.map((key) => `${key.volume ?? ''} ${key.type}`),
      ['C: tpm', 'C: recovery-password', 'D: external-key', 'D: recovery-password', 'D: password'],
    );
  });

  it('exits 1 saying what an unreadable file looks like, and still lists the others', async () => {
    const result = await runKeyhold(
      [
        'read',
        '-',
        join(fixtures, 'get-bitlockervolume-ps7.json'),
        join(fixtures, 'manage-bde-status-en.txt'),
        '--json',
      ],
      { input: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') },
    );
    assert.equal(result.code, 1);
    assert.equal((JSON.parse(result.stdout) as Listed[]).length, 2);
    assert.match(result.stderr, /-: looks like a PNG image/);
    assert.match(result.stderr, /manage-bde-status-en\.txt: .*manage-bde -protectors -get/);
    const text = await runKeyhold(['read', join(repoRoot, 'package.json')]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /looks like text: The text has no valid 48-digit recovery password/);
  });

  it('exits 2 for a file that cannot be opened', async () => {
    const result = await runKeyhold(['read', join(fixtures, 'missing.txt')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing\.txt: cannot open: no such file/);
  });
});

describe('keyhold read on the corpus startup key', { skip: corpusSkip() }, () => {
  it('lists its GUID as an external key', async () => {
    const file = join(corpusDir() ?? '', '4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK');
    const result = await runKeyhold(['read', file, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [
      {
        protectorId: '4381F759-C4F8-4DE0-BB61-FC33A831BDA5',
        type: 'external-key',
        source: file,
        format: 'bek',
      },
    ]);
  });
});
