import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseVolumeCrypto } from '../../src/cli/volume/native-crypto.js';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip, requirement } from '../support/requirements.js';
import {
  corpusImage,
  corpusImages,
  runKeyholdHashingStdout,
  sha256File,
  type CorpusImage,
} from './volume-corpus.js';

/**
 * The corpus volumes decrypt to their reference SHA-256 on both implementations: the native
 * addon (one chunk at a time, on Node's thread pool) and the WebAssembly fallback (on worker
 * threads).
 * test/cli/volume-unlock.test.ts covers the default (native when built, one thread per core).
 */
const nativeChoice = chooseVolumeCrypto();
const paths = [
  {
    name: 'the native addon',
    env: {},
    threads: '1',
    notice:
      /^crypto: native addon \(.+\), key stretch (on the CPU's SHA instructions|through OpenSSL \(this CPU has no SHA instructions\))$/,
    skip: requirement(
      'native',
      nativeChoice.crypto.name === 'native' ? undefined : `not in use (${nativeChoice.notice.en})`,
    ),
  },
  {
    name: 'the WebAssembly fallback',
    env: { KEYHOLD_NATIVE: '0' },
    threads: '2',
    notice: /^crypto: WebAssembly path \(KEYHOLD_NATIVE=0/,
    skip: false as const,
  },
];

function secretArgs(image: CorpusImage): string[] {
  return image.recoveryPassword ? ['--recovery-password', image.recoveryPassword] : ['--clear-key'];
}

describe('corpus volumes on both crypto paths', { skip: corpusSkip() }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-paths-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const path of paths) {
    describe(path.name, { skip: path.skip }, () => {
      for (const image of corpusImages().filter((i) => i.sha256)) {
        it(`unlocks ${image.name} on ${path.threads} thread(s) to the reference SHA-256`, async () => {
          const out = join(dir, `${image.name}.plain`);
          const result = await runKeyhold(
            ['unlock', image.path, ...secretArgs(image), '--out', out, '--threads', path.threads],
            { env: path.env },
          );
          assert.equal(result.code, 0, result.stderr);
          assert.equal(await sha256File(out), image.sha256);
          await rm(out);
        });
      }

      // To standard output the native addon decrypts on the pool and writes in order from there.
      for (const name of ['bitlk-aes-xts-128', 'bitlk-aes-cbc-elephant-128']) {
        it(`streams ${name} to standard output on 2 threads to the reference SHA-256`, async () => {
          const image = corpusImage(name);
          const streamed = await runKeyholdHashingStdout(
            ['unlock', image.path, ...secretArgs(image), '--out', '-', '--threads', '2'],
            undefined,
            path.env,
          );
          assert.equal(streamed.code, 0, streamed.stderr);
          assert.equal(streamed.stdoutSha256, image.sha256);
        });
      }

      it('verifies a recovery password and names the path under --verbose', async () => {
        const image = corpusImages().find((i) => i.name === 'bitlk-aes-xts-128');
        assert.ok(image?.recoveryPassword);
        const result = await runKeyhold(
          ['verify', image.path, '--recovery-password', image.recoveryPassword, '--verbose'],
          { env: path.env },
        );
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^opens 64311DEA-4587-4029-924A-BA299647998E/);
        const lines = result.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1);
        assert.match(lines[0] ?? '', path.notice);
      });
    });
  }

  it(
    'verifies every recovery password with the native key stretch kept on OpenSSL (KEYHOLD_NATIVE_SHA=0)',
    { skip: paths[0]?.skip },
    async () => {
      const images = corpusImages().filter((i) => i.recoveryPassword && i.recoveryProtectorId);
      assert.ok(images.length > 0);
      for (const image of images) {
        const result = await runKeyhold(
          ['verify', image.path, '--recovery-password', image.recoveryPassword ?? '', '--verbose'],
          { env: { KEYHOLD_NATIVE_SHA: '0' } },
        );
        assert.equal(result.code, 0, `${image.name}: ${result.stderr}`);
        const protectorId = image.recoveryProtectorId?.toUpperCase() ?? '';
        assert.ok(result.stdout.startsWith(`opens ${protectorId}`), image.name);
        assert.match(result.stderr, /key stretch through OpenSSL \(KEYHOLD_NATIVE_SHA=0\)\n$/);
      }
    },
  );

  it('refuses a --threads value that is not a whole number', async () => {
    const image = corpusImages()[0];
    assert.ok(image);
    const result = await runKeyhold([
      'unlock',
      image.path,
      '--clear-key',
      '--out',
      join(dir, 'never.img'),
      '--threads',
      '0',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--threads 0: give a whole number of threads from 1 to 256\./);
  });
});
