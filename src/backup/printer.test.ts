import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pdftotextSkip } from '../../test/support/requirements.js';
import { BackupError } from './errors.js';
import { printPdf } from './printer.js';
import { renderRecoverySheet } from './recovery-sheet.js';

const id = '64311DEA-4587-4029-924A-BA299647998E';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';

function popplerSkip(): string | false {
  if (process.platform === 'win32') return 'skipped: the stand-in lp is a shell script';
  return pdftotextSkip();
}

const workDir = mkdtempSync(join(tmpdir(), 'keyhold-print-'));
const binDir = join(workDir, 'bin');
const emptyBinDir = join(workDir, 'empty-bin');
const recordDir = join(workDir, 'record');
const originalPath = process.env.PATH;

/**
 * The one stand-in: an `lp` that records its arguments and the document it was given, and
 * answers like CUPS (a request id, or CUPS's message for an unknown printer).
 */
const standInLp = `#!/bin/sh
printf '%s\\n' "$@" > '${recordDir}/args'
cat > '${recordDir}/job.pdf'
if [ "$2" = "Nowhere" ]; then
  echo "lp: The printer or class does not exist." >&2
  exit 1
fi
echo "request id is $2-42 (1 file(s))"
`;

before(() => {
  mkdirSync(binDir);
  mkdirSync(emptyBinDir);
  mkdirSync(recordDir);
  writeFileSync(join(binDir, 'lp'), standInLp);
  chmodSync(join(binDir, 'lp'), 0o755);
  process.env.PATH = [binDir, originalPath].join(delimiter);
});
after(() => {
  process.env.PATH = originalPath;
  rmSync(workDir, { recursive: true, force: true });
});

function recorded(): { args: string[]; pdf: Buffer } {
  return {
    args: readFileSync(join(recordDir, 'args'), 'utf8').trimEnd().split('\n'),
    pdf: readFileSync(join(recordDir, 'job.pdf')),
  };
}

describe('printing the recovery key sheet', { skip: popplerSkip() }, () => {
  it('sends the sheet to the named printer through lp', async () => {
    const sheet = await renderRecoverySheet({
      protectorId: id,
      recoveryPassword: password,
      lang: 'nb',
      paper: 'a4',
    });
    const job = await printPdf(sheet, { printer: 'Office_Laser' });
    assert.deepEqual(job, { printer: 'Office_Laser', jobId: 'Office_Laser-42' });

    const { args, pdf } = recorded();
    assert.deepEqual(args.slice(0, 2), ['-d', 'Office_Laser']);
    assert.ok(!args.join(' ').includes(password), 'the key is not in the job title or options');
    writeFileSync(join(workDir, 'printed.pdf'), pdf);
    const text = execFileSync('pdftotext', [join(workDir, 'printed.pdf'), '-'], {
      encoding: 'utf8',
    });
    assert.ok(text.includes(id));
    assert.equal((text.match(/\b\d{6}\b/g) ?? []).join('-'), password);
    assert.ok(text.includes('BitLocker-gjenopprettingsnøkkel'));
  });

  it("passes on CUPS's reason when the printer refuses the job", async () => {
    await assert.rejects(
      printPdf(Buffer.from('%PDF-1.3\n'), { printer: 'Nowhere' }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.code === 'print-failed' &&
        error.message.includes('The printer or class does not exist') &&
        error.message.includes('Nowhere'),
    );
  });

  it('refuses a printer name that lp would misread, without running lp', async () => {
    rmSync(join(recordDir, 'args'), { force: true });
    for (const printer of ['-o', 'Office Laser', '']) {
      await assert.rejects(
        printPdf(Buffer.from('%PDF-1.3\n'), { printer }),
        (error: unknown) => error instanceof BackupError && error.code === 'invalid-input',
      );
    }
    assert.equal(existsSync(join(recordDir, 'args')), false);
  });

  it('says what to do when lp is not installed', async () => {
    process.env.PATH = emptyBinDir;
    try {
      await assert.rejects(
        printPdf(Buffer.from('%PDF-1.3\n'), { printer: 'Office_Laser' }),
        (error: unknown) =>
          error instanceof BackupError &&
          error.code === 'lp-missing' &&
          error.message.includes('save the sheet as a PDF'),
      );
    } finally {
      process.env.PATH = [binDir, originalPath].join(delimiter);
    }
  });
});
