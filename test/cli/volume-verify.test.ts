import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage, corpusImages, corpusStartupKeyPath, sparseCopy } from './volume-corpus.js';

const skip = corpusSkip();

describe('keyhold verify', { skip }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-verify-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens every image with its recovery password and names the protector', async () => {
    for (const image of corpusImages().filter((i) => i.recoveryPassword)) {
      const result = await runKeyhold([
        'verify',
        image.path,
        '--recovery-password',
        image.recoveryPassword ?? '',
        '--json',
      ]);
      assert.equal(result.code, 0, `${image.name}: ${result.stderr}`);
      assert.deepEqual(JSON.parse(result.stdout), {
        opens: true,
        volumeGuid: image.guid.toUpperCase(),
        protectorId: image.recoveryProtectorId?.toUpperCase(),
        protectorType: 'recovery-password',
      });
    }
  });

  it('opens with a password from standard input, a .BEK file and a clear key', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const byPassword = await runKeyhold(['verify', xts.path, '--password', '-'], {
      input: 'anaconda\n',
    });
    assert.equal(byPassword.code, 0, byPassword.stderr);
    assert.match(byPassword.stdout, /opens 3E55195C-8811-4D9B-97B4-2B9E5F8F5384 \(password\)/);

    const startup = corpusImage('bitlk-aes-xts-128-startup-key');
    const byBek = await runKeyhold(['verify', startup.path, '--bek', corpusStartupKeyPath()]);
    assert.equal(byBek.code, 0, byBek.stderr);
    assert.match(byBek.stdout, /opens 4381F759-C4F8-4DE0-BB61-FC33A831BDA5 \(startup-key\)/);

    const suspended = corpusImage('bitlk-aes-xts-128-clearkey-only');
    const byClearKey = await runKeyhold(['verify', suspended.path, '--clear-key']);
    assert.equal(byClearKey.code, 0, byClearKey.stderr);
    assert.match(byClearKey.stdout, /opens F99F18E8-0348-4A6B-AFDF-58B1DD71F0D1 \(clear-key\)/);
  });

  it('answers exit 1 "this key does not open this volume" for a valid but wrong key', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const other = corpusImage('bitlk-aes-xts-256');
    const result = await runKeyhold([
      'verify',
      xts.path,
      '--recovery-password',
      other.recoveryPassword ?? '',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /this key does not open this volume/);
    assert.equal(result.stdout, '');

    const noSuchProtector = await runKeyhold(['verify', xts.path, '--clear-key', '--json']);
    assert.equal(noSuchProtector.code, 1);
    const json = JSON.parse(noSuchProtector.stdout) as { opens: boolean; reason: string };
    assert.equal(json.opens, false);
    assert.equal(json.reason, 'no-matching-protector');
  });

  it('answers exit 2 with the reason for unusable input', async () => {
    const xts = corpusImage('bitlk-aes-xts-128');
    const typo = await runKeyhold([
      'verify',
      xts.path,
      '--recovery-password',
      '235818-357951-253979-013365-241120-245575-342914-591911',
    ]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Block 8 \(591911\)/);

    const twoKeys = await runKeyhold(['verify', xts.path, '--clear-key', '--password', 'x']);
    assert.equal(twoKeys.code, 2);
    assert.match(twoKeys.stderr, /one key at a time/);

    const noKey = await runKeyhold(['verify', xts.path]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /Say which key to use/);

    const notAVolume = await runKeyhold(['verify', 'package.json', '--clear-key']);
    assert.equal(notAVolume.code, 2);
    assert.match(notAVolume.stderr, /not a BitLocker volume/);

    const badBek = await runKeyhold(['verify', xts.path, '--bek', 'package.json']);
    assert.equal(badBek.code, 2);
    assert.match(badBek.stderr, /package\.json: .*startup key file/);
  });

  it('opens the image with damaged copies, and refuses clearly when all three are damaged', async () => {
    const crc = corpusImage('bitlk-aes-xts-128-crc');
    const fromThirdCopy = await runKeyhold(['verify', crc.path, '--password', 'anaconda']);
    assert.equal(fromThirdCopy.code, 0, fromThirdCopy.stderr);

    const copy = sparseCopy(corpusImage('bitlk-aes-xts-128'), dir);
    const handle = await open(copy, 'r+');
    for (const offset of [35213312, 46256128, 57909248]) {
      await handle.write(Buffer.from('damaged'), 0, 7, offset + 0x200);
    }
    await handle.close();
    const result = await runKeyhold(['verify', copy, '--password', 'anaconda']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /All 3 copies of the BitLocker metadata are damaged/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
