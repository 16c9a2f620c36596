import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FoundKey } from '../../src/bitlocker/key-sources.js';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage, corpusImages } from './volume-corpus.js';

describe('keyhold read on BitLocker volume images', { skip: corpusSkip() }, () => {
  it('lists the protector IDs stored in every volume, with the volume GUID', async () => {
    const images = corpusImages();
    const result = await runKeyhold(['read', ...images.map((image) => image.path), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const found = JSON.parse(result.stdout) as FoundKey[];
    for (const image of images) {
      const keys = found.filter((key) => key.source === image.path);
      assert.ok(
        keys.every((key) => key.format === 'bitlocker-volume'),
        image.name,
      );
      assert.ok(
        keys.every((key) => key.volume === image.guid.toUpperCase()),
        image.name,
      );
      for (const field of ['PW_VMK_GUID', 'RP_VMK_GUID', 'RP2_VMK_GUID', 'SK_VMK_GUID']) {
        const id = image.fields[field];
        if (id)
          assert.ok(
            keys.some((key) => key.protectorId === id.toUpperCase()),
            `${image.name} ${field}`,
          );
      }
    }
  });

  it('names the startup-key protector as the .BEK file does', async () => {
    const image = corpusImage('bitlk-aes-xts-128-startup-key');
    const result = await runKeyhold(['read', image.path]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /a BitLocker-encrypted volume, 3 key protectors/);
    assert.match(
      result.stdout,
      /4381F759-C4F8-4DE0-BB61-FC33A831BDA5 {2}External key \(startup key file\)/,
    );
  });
});
