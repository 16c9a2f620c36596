import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { parseRecoveryPassword } from '../../src/bitlocker/recovery-password.js';
import { runKeyhold } from '../support/cli.js';

const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const id = '64311DEA-4587-4029-924A-BA299647998E';
const otherId = '3E55195C-8811-4D9B-97B4-2B9E5F8F5384';

describe('keyhold key generate', () => {
  it('prints a valid recovery password, different each time', async () => {
    const first = await runKeyhold(['key', 'generate']);
    const second = await runKeyhold(['key', 'generate']);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /^\d{6}(-\d{6}){7}\n$/);
    assert.ok(parseRecoveryPassword(first.stdout).valid);
    assert.notEqual(first.stdout, second.stdout);
  });

  it('gives the 16-byte key that matches the password with --json', async () => {
    const result = await runKeyhold(['key', 'generate', '--json']);
    const output = JSON.parse(result.stdout) as { recoveryPassword: string; keyHex: string };
    const parsed = parseRecoveryPassword(output.recoveryPassword);
    assert.ok(parsed.valid);
    assert.equal(output.keyHex, Buffer.from(parsed.key).toString('hex'));
  });
});

describe('keyhold key check', () => {
  it('accepts a valid password in several arguments and prints the JSON answer', async () => {
    const result = await runKeyhold(['key', 'check', ...password.split('-'), '--json']);
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout), {
      valid: true,
      normalized: password,
      keyHex: 'be531d7f315abf04a0553557c67932d2',
    });
  });

  it('exits 1 naming the wrong block, in JSON and in one human line', async () => {
    const typo = password.replace('241120', '241210');
    const json = await runKeyhold(['key', 'check', typo, '--json']);
    assert.equal(json.code, 1);
    const answer = JSON.parse(json.stdout) as { valid: boolean; errors: unknown[] };
    assert.equal(answer.valid, false);
    assert.deepEqual(
      answer.errors.map((error) => {
        const { block, value } = error as { block: number; value: string };
        return { block, value };
      }),
      [{ block: 5, value: '241210' }],
    );
    const human = await runKeyhold(['key', 'check', typo]);
    assert.equal(human.code, 1);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /^invalid: Block 5 \(241210\) [^\n]+\n$/);
  });

  it('says which letters typed among the digits should be 0 and 1', async () => {
    const withO = await runKeyhold(['key', 'check', password.replace('013365', 'O13365')]);
    assert.equal(withO.code, 1);
    assert.match(withO.stderr, /The letter "O" should be the digit 0 \(zero\)\./);
    assert.doesNotMatch(withO.stderr, /digit 1/);
    const withL = await runKeyhold([
      'key',
      'check',
      password.replace('591910', '59l9l0'),
      '--json',
    ]);
    assert.equal(withL.code, 1);
    const answer = JSON.parse(withL.stdout) as { errors: { reason: string }[] };
    assert.ok(
      answer.errors.some((error) => error.reason === 'The letter "l" should be the digit 1 (one).'),
      withL.stdout,
    );
    // Words around a pasted key are not typos: no hint for the letters of "Recovery key".
    const words = await runKeyhold(['key', 'check', '-'], {
      input: `Recovery key: ${password.replace('241120', '241210')}`,
    });
    assert.equal(words.code, 1);
    assert.doesNotMatch(words.stderr, /should be the digit/);
  });

  it('reads the password from standard input with "-"', async () => {
    const result = await runKeyhold(['key', 'check', '-'], { input: `Key:\r\n\t${password}\r\n` });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `valid ${password}\n`);
  });
});

describe('keyhold key file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-key-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the Windows-named file into a folder, readable back', async () => {
    const result = await runKeyhold([
      'key',
      'file',
      '--id',
      `{${id.toLowerCase()}}`,
      '--password',
      password.replace(/-/g, ' '),
      '--out',
      dir,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const path = join(dir, `BitLocker Recovery Key ${id}.TXT`);
    assert.deepEqual(JSON.parse(result.stdout), {
      path,
      protectorId: id,
      language: 'en',
      written: true,
    });
    const bytes = await readFile(path);
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    assert.deepEqual(readRecoveryKeyFile(bytes), [{ protectorId: id, recoveryPassword: password }]);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
      [],
      'no temporary file is left behind',
    );
  });

  it('leaves the same key alone and refuses to replace another key without --force', async () => {
    const path = join(dir, 'mine.TXT');
    const first = await runKeyhold([
      'key',
      'file',
      '--id',
      id,
      '--password',
      password,
      '--out',
      path,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const before = await readFile(path);
    const again = await runKeyhold([
      'key',
      'file',
      '--id',
      id,
      '--password',
      password,
      '--out',
      path,
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already holds this key/);
    const other = await runKeyhold([
      'key',
      'file',
      '--id',
      otherId,
      '--password',
      password,
      '--out',
      path,
    ]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, new RegExp(`another protector \\(${id}\\).*--force`));
    assert.deepEqual(await readFile(path), before, 'the existing file is untouched');
    const forced = await runKeyhold([
      'key',
      'file',
      '--id',
      otherId,
      '--password',
      password,
      '--out',
      path,
      '--force',
      '--lang',
      'nb',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    const [key] = readRecoveryKeyFile(await readFile(path));
    assert.equal(key?.protectorId, otherId);
  });

  it('never replaces a file that is not a recovery key file', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'my notes');
    const result = await runKeyhold([
      'key',
      'file',
      '--id',
      id,
      '--password',
      password,
      '--out',
      path,
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a recovery key file/);
    assert.equal(await readFile(path, 'utf8'), 'my notes');
  });

  it('refuses an invalid password or ID and writes nothing', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    const badPassword = await runKeyhold([
      'key',
      'file',
      '--id',
      id,
      '--password',
      password.replace('342914', '342941'),
      '--out',
      empty,
    ]);
    assert.equal(badPassword.code, 2);
    assert.match(badPassword.stderr, /Block 7 \(342941\)/);
    const badId = await runKeyhold([
      'key',
      'file',
      '--id',
      '64311DEA',
      '--password',
      password,
      '--out',
      empty,
    ]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /--id: "64311DEA" is not a key protector ID/);
    const lookalikeId = await runKeyhold([
      'key',
      'file',
      '--id',
      id.replace('4029', '4O29').replace('BA29', 'BA2I'),
      '--password',
      password,
      '--out',
      empty,
    ]);
    assert.equal(lookalikeId.code, 2);
    assert.match(
      lookalikeId.stderr,
      /The letters "O" should be the digit 0 \(zero\), and "I" should be the digit 1 \(one\)\./,
    );
    const badLanguage = await runKeyhold([
      'key',
      'file',
      '--id',
      id,
      '--password',
      password,
      '--out',
      empty,
      '--lang',
      'de',
    ]);
    assert.equal(badLanguage.code, 2);
    assert.match(badLanguage.stderr, /--lang must be one of en, nb/);
    assert.deepEqual(await readdir(empty), []);
    assert.ok(!`${badPassword.stderr}${badId.stderr}`.includes('    at '), 'no stack trace');
  });
});
