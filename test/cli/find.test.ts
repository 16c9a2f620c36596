import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeBekFile } from '../../src/bitlocker/bek-file.js';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { repoRoot, runKeyhold } from '../support/cli.js';

const wanted = '64311DEA-4587-4029-924A-BA299647998E';
const wantedPassword = generateRecoveryPassword();
const bekId = '64311DEA-0000-4000-8000-000000000001';
const otherId = '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0';

interface FindReport {
  keyId: string;
  matches: {
    where: string;
    place: string;
    path?: string;
    protectorId: string;
    type: string;
    format?: string;
    recoveryPassword?: string;
  }[];
  searched: string[];
  problems: { place: string; message: string }[];
}

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-find-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

function recoveryFile(dir: string, id: string, password = generateRecoveryPassword()): string {
  const { fileName, bytes } = writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password });
  const path = join(dir, fileName);
  writeFileSync(path, bytes);
  return path;
}

/** No logins and no drives: only the folders named with --in are searched. */
const offline = ['--no-drives', '--no-accounts'];

describe('keyhold find in folders', () => {
  let documents: string;
  let backups: string;
  const expected: Record<string, string> = {};

  before(() => {
    documents = freshDir();
    backups = freshDir();
    // Windows' own file name, a renamed copy deeper down, a .BEK, saved tool output, noise.
    expected.recoveryFile = recoveryFile(documents, wanted, wantedPassword);
    mkdirSync(join(backups, 'laptop', '2025'), { recursive: true });
    const renamed = join(backups, 'laptop', '2025', 'my key.txt');
    copyFileSync(expected.recoveryFile, renamed);
    expected.renamed = renamed;
    expected.bek = join(backups, `${bekId}.BEK`);
    writeFileSync(expected.bek, writeBekFile({ keyId: bekId, key: Buffer.alloc(32, 9) }));
    recoveryFile(backups, otherId);
    copyFileSync(
      join(repoRoot, 'test/fixtures/windows-output/manage-bde-protectors-get-en.txt'),
      join(backups, 'protectors.txt'),
    );
    writeFileSync(join(backups, 'notes.txt'), `Key ID ${wanted} is in the drawer.\n`);
    writeFileSync(join(backups, 'photo.jpg'), Buffer.alloc(1000, 0xff));
  });

  it('lists every file holding a key whose ID starts with the 8 characters', async () => {
    const result = await runKeyhold([
      'find',
      '64311dea',
      '--in',
      documents,
      '--in',
      backups,
      ...offline,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^3 matches for Key ID 64311DEA:/);
    assert.ok(result.stdout.includes(`folder ${documents}: ${expected.recoveryFile}`));
    assert.ok(result.stdout.includes(`folder ${backups}: ${expected.renamed}`));
    assert.ok(result.stdout.includes(`folder ${backups}: ${expected.bek}`));
    assert.match(
      result.stdout,
      /64311DEA-0000-4000-8000-000000000001 {2}External key \(startup key file\)/,
    );
    assert.ok(!result.stdout.includes(wantedPassword), 'keys are shown only with --show');
  });

  it('prints JSON and shows the recovery key with --show', async () => {
    const result = await runKeyhold([
      'find',
      '{64311DEA-45',
      '--in',
      documents,
      ...offline,
      '--show',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as FindReport;
    assert.equal(report.keyId, '64311DEA45');
    assert.deepEqual(report.matches, [
      {
        where: 'folder',
        place: documents,
        placeDescription: `folder ${documents}`,
        path: expected.recoveryFile,
        protectorId: wanted,
        type: 'recovery-password',
        format: 'recovery-key-file',
        recoveryPassword: wantedPassword,
      },
    ]);
    assert.deepEqual(report.searched, [`folder ${documents}`]);
    assert.deepEqual(report.problems, []);
  });

  it('finds keys in saved manage-bde output', async () => {
    const result = await runKeyhold(['find', 'A09ADC6A', '--in', backups, ...offline, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as FindReport;
    assert.deepEqual(
      report.matches.map(({ path, protectorId, format }) => ({ path, protectorId, format })),
      [
        {
          path: join(backups, 'protectors.txt'),
          protectorId: 'A09ADC6A-57B9-45C2-9CEE-4CE1BF7CB548',
          format: 'manage-bde',
        },
      ],
    );
    assert.equal(report.matches[0]?.recoveryPassword, undefined);
  });

  it('reads keys in every encoding Windows saves them in', async () => {
    const dir = freshDir();
    const fixtures = join(repoRoot, 'test/fixtures/windows-output');
    for (const name of [
      'recovery-key-win7-utf16be.txt',
      'get-bitlockervolume-ps51.json',
      'manage-bde-protectors-get-de.txt',
    ]) {
      copyFileSync(join(fixtures, name), join(dir, name));
    }
    const expectedIds: [string, string][] = [
      ['64311dea', 'recovery-key-win7-utf16be.txt'],
      ['d7a7b2a7', 'get-bitlockervolume-ps51.json'],
      ['FF426889', 'manage-bde-protectors-get-de.txt'],
    ];
    for (const [keyId, file] of expectedIds) {
      const result = await runKeyhold(['find', keyId, '--in', dir, ...offline, '--json']);
      assert.equal(result.code, 0, `${keyId}: ${result.stderr}`);
      const report = JSON.parse(result.stdout) as FindReport;
      assert.deepEqual(
        report.matches.map((match) => match.path),
        [join(dir, file)],
      );
    }
  });

  it('looks only as deep as --depth says', async () => {
    const shallow = await runKeyhold([
      'find',
      '64311DEA-4587',
      '--in',
      backups,
      '--depth',
      '1',
      ...offline,
    ]);
    assert.equal(shallow.code, 1);
    const deep = await runKeyhold([
      'find',
      '64311DEA-4587',
      '--in',
      backups,
      '--depth',
      '2',
      ...offline,
    ]);
    assert.equal(deep.code, 0, deep.stderr);
    assert.ok(deep.stdout.includes(expected.renamed ?? 'x'));
  });

  it('does not open large files', async () => {
    const dir = freshDir();
    const { bytes } = writeRecoveryKeyFile({
      protectorId: wanted,
      recoveryPassword: wantedPassword,
    });
    writeFileSync(join(dir, 'padded.txt'), Buffer.concat([bytes, Buffer.alloc(70 * 1024, 0x20)]));
    const result = await runKeyhold(['find', '64311DEA', '--in', dir, ...offline]);
    assert.equal(result.code, 1);
  });

  it('says where it looked and where else to look when nothing matches (exit 1)', async () => {
    const result = await runKeyhold(['find', 'ABCD1234', '--in', documents, ...offline]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.ok(
      result.stderr.includes(
        `No key with an ID starting ABCD1234 was found. Searched: folder ${documents}.`,
      ),
    );
    assert.match(result.stderr, /paper printouts, other USB drives, other Keyhold accounts/);
  });

  it('warns about a folder it cannot search, and fails with exit 3 if that leaves nothing', async () => {
    const missing = join(freshDir(), 'gone');
    const result = await runKeyhold([
      'find',
      '64311DEA',
      '--in',
      missing,
      '--in',
      documents,
      ...offline,
    ]);
    assert.equal(result.code, 0);
    assert.ok(
      result.stderr.includes(`warning: folder ${missing} could not be searched: no such folder.`),
      result.stderr,
    );

    const nothing = await runKeyhold(['find', '64311DEA', '--in', missing, ...offline]);
    assert.equal(nothing.code, 3);
    assert.match(nothing.stderr, /Searched: nowhere \(no place could be searched\)\./);
    assert.ok(!nothing.stderr.includes(`Searched: folder ${missing}`), nothing.stderr);

    const json = await runKeyhold([
      'find',
      'DEADBEEF',
      '--in',
      missing,
      '--in',
      documents,
      ...offline,
      '--json',
    ]);
    assert.equal(json.code, 3);
    const report = JSON.parse(json.stdout) as FindReport;
    assert.deepEqual(report.searched, [`folder ${documents}`]);
    assert.deepEqual(
      report.problems.map((problem) => problem.place),
      [missing],
    );
  });

  it('refuses a Key ID too short or not hex (exit 2)', async () => {
    const short = await runKeyhold(['find', '643', ...offline]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /give at least 4 characters of the Key ID/);
    const wrong = await runKeyhold(['find', 'KEYS1234', ...offline]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /only the digits 0-9 and letters A-F/);
  });

  it('says which letters typed in a Key ID should be the digits 0 and 1', async () => {
    const zero = await runKeyhold(['find', '6431lDEA', ...offline]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /The letter "l" should be the digit 1 \(one\)\./);
    const both = await runKeyhold(['find', 'O4I1', ...offline]);
    assert.equal(both.code, 2);
    assert.match(
      both.stderr,
      /The letters "O" should be the digit 0 \(zero\), and "I" should be the digit 1 \(one\)\./,
    );
  });
});
