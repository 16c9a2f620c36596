import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeBekFile } from '../../src/bitlocker/bek-file.js';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { repoRoot, runKeyhold } from '../support/cli.js';
import { pdftotextSkip } from '../support/requirements.js';

const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
const recoveryPassword = generateRecoveryPassword();
const windowsOutput = join(repoRoot, 'test/fixtures/windows-output');

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** A recovery key file as Windows saves it, in a folder of its own. */
function keyFile(id = protectorId, password = recoveryPassword): string {
  const { fileName, bytes } = writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password });
  const path = join(freshDir(), fileName);
  writeFileSync(path, bytes);
  return path;
}

/** Logins live under XDG_CONFIG_HOME; an empty one means "not logged in anywhere". */
function notLoggedIn(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: freshDir() };
}

function pdfText(path: string): string {
  const result = spawnSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/**
 * The one stand-in: an `lp` first on PATH that records its arguments and the document it was
 * given (CUPS cannot run here), and answers like CUPS does.
 */
function standInLp(): { env: NodeJS.ProcessEnv; recorded: string } {
  const bin = freshDir();
  const recorded = freshDir();
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > '${recorded}/args'`,
    `cat > '${recorded}/job.pdf'`,
    'echo "request id is $2-42 (1 file(s))"',
  ].join('\n');
  writeFileSync(join(bin, 'lp'), `${script}\n`);
  chmodSync(join(bin, 'lp'), 0o755);
  return {
    env: { ...notLoggedIn(), PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    recorded,
  };
}

describe('keyhold backup to USB drive, file and paper', () => {
  it(
    'writes every destination from a recovery key file and reports each on its own line',
    { skip: pdftotextSkip() },
    async () => {
      const usb = freshDir();
      const folder = freshDir();
      const pdf = join(freshDir(), 'sheet.pdf');
      const result = await runKeyhold(
        [
          'backup',
          '--from',
          keyFile(),
          '--to',
          'usb,file,print',
          '--usb',
          usb,
          '--file',
          `${folder}/`,
          '--pdf',
          pdf,
          '--yes',
        ],
        { env: notLoggedIn() },
      );
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', new RegExp(`Backing up the recovery key ${protectorId}`));
      assert.match(
        lines[1] ?? '',
        /^ {2}ok usb: wrote .*flushed it and read it back\. Unplug the drive/,
      );
      assert.match(lines[2] ?? '', /^ {2}ok file: wrote /);
      assert.match(lines[3] ?? '', /^ {2}ok print: saved the printable sheet as /);
      assert.equal(lines.length, 4);

      const fileName = `BitLocker Recovery Key ${protectorId}.TXT`;
      for (const dir of [usb, folder]) {
        assert.deepEqual(readdirSync(dir), [fileName]);
        assert.deepEqual(readRecoveryKeyFile(readFileSync(join(dir, fileName))), [
          { protectorId, recoveryPassword },
        ]);
      }
      const text = pdfText(pdf);
      assert.match(text, /64311DEA-4587-4029-924A-BA299647998E/);
      for (const block of recoveryPassword.split('-')) assert.ok(text.includes(block), block);
    },
  );

  it(
    'prints the sheet with lp on the printer named, in the language asked for',
    { skip: pdftotextSkip() },
    async () => {
      const lp = standInLp();
      const result = await runKeyhold(
        [
          'backup',
          '--from',
          keyFile(),
          '--to',
          'print',
          '--printer',
          'Office',
          '--lang',
          'nb',
          '--yes',
        ],
        { env: lp.env },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /ok print: sent the sheet to printer Office \(job Office-42\)/);
      const args = readFileSync(join(lp.recorded, 'args'), 'utf8').trim().split('\n');
      assert.deepEqual(args.slice(0, 2), ['-d', 'Office']);
      assert.ok(!args.join(' ').includes(recoveryPassword), 'the key is not in the job title');
      const text = pdfText(join(lp.recorded, 'job.pdf'));
      assert.match(text, /BitLocker-gjenopprettingsnøkkel|gjenoppretting/i);
      assert.ok(text.includes(recoveryPassword.split('-')[0] ?? 'x'));
    },
  );

  it('keeps going when one destination fails, then says which succeeded (exit 2)', async () => {
    const usb = freshDir();
    const occupied = freshDir();
    const other = writeRecoveryKeyFile({
      protectorId: '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0',
      recoveryPassword: generateRecoveryPassword(),
    });
    const taken = join(occupied, 'key.txt');
    writeFileSync(taken, other.bytes);
    const result = await runKeyhold(
      ['backup', '--from', keyFile(), '--to', 'file,usb', '--file', taken, '--usb', usb, '--yes'],
      { env: notLoggedIn() },
    );
    assert.equal(result.code, 2);
    assert.match(
      result.stdout,
      /FAILED file: .*key\.txt already holds the recovery key for Key ID 0F1E2D3C/,
    );
    assert.match(result.stdout, /ok usb: wrote /);
    assert.match(result.stderr, /The backup to file failed; it succeeded to usb\./);
    assert.deepEqual(readFileSync(taken), other.bytes, 'the other key is untouched');
  });

  it('fails with exit 3 and names the successes when the printer is missing', async () => {
    const folder = freshDir();
    const started = Date.now();
    const result = await runKeyhold(
      [
        'backup',
        '--from',
        keyFile(),
        '--to',
        'file,print',
        '--file',
        folder,
        '--printer',
        'Office',
        '--yes',
      ],
      // A PATH without lp: the environment, not the input, is what failed.
      { env: { ...notLoggedIn(), PATH: freshDir() } },
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /FAILED print: The lp command \(CUPS\) is not installed/);
    assert.match(result.stderr, /succeeded to file/);
    // Not the minute it would wait for a running lp to answer.
    assert.ok(Date.now() - started < 30_000, 'the command ends as soon as lp is found missing');
  });

  it('reports in JSON without the recovery password', async () => {
    const folder = freshDir();
    const result = await runKeyhold(
      ['backup', '--from', keyFile(), '--to', 'file', '--file', folder, '--json'],
      { env: notLoggedIn() },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      key: { protectorId: string };
      results: { destination: string; ok: boolean; path: string }[];
      recorded: unknown[];
    };
    assert.equal(report.key.protectorId, protectorId);
    assert.deepEqual(
      report.results.map(({ destination, ok, path }) => ({ destination, ok, path })),
      [
        {
          destination: 'file',
          ok: true,
          path: join(folder, `BitLocker Recovery Key ${protectorId}.TXT`),
        },
      ],
    );
    assert.deepEqual(report.recorded, []);
    assert.ok(!result.stdout.includes(recoveryPassword));
  });

  it('takes a key typed in, with the password on standard input', async () => {
    const folder = freshDir();
    const result = await runKeyhold(
      [
        'backup',
        '--id',
        `{${protectorId.toLowerCase()}}`,
        '--password',
        '-',
        '--to',
        'file',
        '--file',
        folder,
        '--yes',
      ],
      { env: notLoggedIn(), input: `${recoveryPassword.replaceAll('-', ' ')}\n` },
    );
    assert.equal(result.code, 0, result.stderr);
    const [written] = readdirSync(folder);
    assert.deepEqual(readRecoveryKeyFile(readFileSync(join(folder, written ?? ''))), [
      { protectorId, recoveryPassword },
    ]);
  });

  it('refuses a mistyped password, naming the block, and writes nothing', async () => {
    const folder = freshDir();
    const blocks = recoveryPassword.split('-');
    blocks[2] = String((Number(blocks[2]) + 1) % 1_000_000).padStart(6, '0');
    const result = await runKeyhold(
      [
        'backup',
        '--id',
        protectorId,
        '--password',
        blocks.join('-'),
        '--to',
        'file',
        '--file',
        folder,
        '--yes',
      ],
      { env: notLoggedIn() },
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--password: Block 3 \(\d{6}\)/);
    assert.deepEqual(readdirSync(folder), []);
  });

  it('asks which key when a file holds several, and --volume picks one', async () => {
    const folder = freshDir();
    const source = join(windowsOutput, 'manage-bde-protectors-get-en.txt');
    const ambiguous = await runKeyhold(
      ['backup', '--from', source, '--to', 'file', '--file', folder, '--yes'],
      { env: notLoggedIn() },
    );
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /There are 2 recovery keys; choose one with --id/);
    assert.match(
      ambiguous.stderr,
      /D7A7B2A7 \(D7A7B2A7-8D34-4922-A833-8316F9ACC89F\) {2}volume C:/,
    );
    assert.deepEqual(readdirSync(folder), []);

    const picked = await runKeyhold(
      ['backup', '--from', source, '--volume', 'd:', '--to', 'file', '--file', folder, '--yes'],
      { env: notLoggedIn() },
    );
    assert.equal(picked.code, 0, picked.stderr);
    assert.deepEqual(readdirSync(folder), [
      'BitLocker Recovery Key A09ADC6A-57B9-45C2-9CEE-4CE1BF7CB548.TXT',
    ]);
  });

  it('says which flag is missing instead of asking when there is no terminal', async () => {
    const noDestination = await runKeyhold(['backup', '--from', keyFile()], { env: notLoggedIn() });
    assert.equal(noDestination.code, 2);
    assert.match(noDestination.stderr, /Where to\? Give --to with any of account,usb,file,print/);

    const noFile = await runKeyhold(['backup', '--from', keyFile(), '--to', 'file', '--yes'], {
      env: notLoggedIn(),
    });
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /--to file needs --file/);

    const noLogin = await runKeyhold(['backup', '--from', keyFile(), '--to', 'account', '--yes'], {
      env: notLoggedIn(),
    });
    assert.equal(noLogin.code, 2);
    assert.match(noLogin.stderr, /not logged in to any Keyhold server\. Run: keyhold login/);
    assert.ok(!noLogin.stderr.includes('    at '), 'no stack trace');
  });

  it('refuses a .BEK startup key, which is no recovery key', async () => {
    const bek = join(freshDir(), 'FC50744B-810D-4800-A937-14DE50211D2B.BEK');
    writeFileSync(
      bek,
      writeBekFile({ keyId: 'FC50744B-810D-4800-A937-14DE50211D2B', key: Buffer.alloc(32, 7) }),
    );
    const result = await runKeyhold(
      ['backup', '--from', bek, '--to', 'file', '--file', freshDir(), '--yes'],
      {
        env: notLoggedIn(),
      },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /holds no recovery password \(only external-key protectors\)/);
  });

  it('leaves no PDF half-written and never replaces an existing one', async () => {
    const dir = freshDir();
    const pdf = join(dir, 'sheet.pdf');
    writeFileSync(pdf, 'mine');
    const result = await runKeyhold(
      ['backup', '--from', keyFile(), '--to', 'print', '--pdf', pdf, '--yes'],
      { env: notLoggedIn() },
    );
    assert.equal(result.code, 2);
    assert.match(result.stdout, /FAILED print: .*sheet\.pdf already exists/);
    assert.equal(readFileSync(pdf, 'utf8'), 'mine');
    assert.deepEqual(readdirSync(dir), ['sheet.pdf']);
  });
});
