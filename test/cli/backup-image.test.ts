import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImages } from './volume-corpus.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-image-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

const notLoggedIn = () => ({ XDG_CONFIG_HOME: freshDir() });

describe(
  'keyhold backup --image: only keys that open the drive are saved',
  { skip: corpusSkip() },
  () => {
    const image = corpusImages().find(
      (candidate) => candidate.name === 'bitlk-aes-xts-128' && candidate.recoveryPassword,
    );

    it('takes the Key ID from the volume the typed password opens', async () => {
      assert.ok(
        image?.recoveryPassword && image.recoveryProtectorId,
        'the corpus has bitlk-aes-xts-128',
      );
      const folder = freshDir();
      const result = await runKeyhold(
        [
          'backup',
          '--image',
          image.path,
          '--password',
          '-',
          '--to',
          'file',
          '--file',
          folder,
          '--yes',
        ],
        { env: notLoggedIn(), input: `${image.recoveryPassword}\n` },
      );
      assert.equal(result.code, 0, result.stderr);
      const protectorId = image.recoveryProtectorId.toUpperCase();
      assert.deepEqual(readdirSync(folder), [`BitLocker Recovery Key ${protectorId}.TXT`]);
      assert.deepEqual(
        readRecoveryKeyFile(
          readFileSync(join(folder, `BitLocker Recovery Key ${protectorId}.TXT`)),
        ),
        [{ protectorId, recoveryPassword: image.recoveryPassword }],
      );
    });

    it('refuses a valid password that does not open the volume, and saves nothing (exit 1)', async () => {
      assert.ok(image?.recoveryProtectorId);
      const folder = freshDir();
      const result = await runKeyhold(
        [
          'backup',
          '--image',
          image.path,
          '--id',
          image.recoveryProtectorId,
          '--password',
          generateRecoveryPassword(),
          '--to',
          'file',
          '--file',
          folder,
          '--yes',
        ],
        { env: notLoggedIn() },
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /this key does not open this volume: .* Nothing was saved\./);
      assert.deepEqual(readdirSync(folder), []);
    });

    it('refuses a key file whose ID belongs to another protector of the same volume', async () => {
      assert.ok(image?.recoveryPassword && image.passwordProtectorId);
      const result = await runKeyhold(
        [
          'backup',
          '--image',
          image.path,
          '--id',
          image.passwordProtectorId,
          '--password',
          image.recoveryPassword,
          '--to',
          'file',
          '--file',
          freshDir(),
          '--yes',
        ],
        { env: notLoggedIn() },
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the Key ID and password do not belong together/);
    });
  },
);
