import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BitLockerFormatError } from './errors.js';
import {
  matchesKeyIdPrefix,
  normalizeKeyIdPrefix,
  parseProtectorId,
  protectorIdFromBytes,
  protectorIdToBytes,
  ProtectorIdError,
  shortProtectorId,
} from './protector-id.js';

// From the corpus image bitlk-aes-xts-128 (docs/bitlocker-format.md, section 2).
const canonical = '64311DEA-4587-4029-924A-BA299647998E';
const onDisk = 'ea1d316487452940924aba299647998e';

describe('key protector ID', () => {
  it('parses every display form to the canonical one', () => {
    for (const form of [
      canonical,
      canonical.toLowerCase(),
      `{${canonical}}`,
      `{${canonical.toLowerCase()}}`,
      canonical.replace(/-/g, ''),
      `  { ${canonical} }\r\n`,
    ]) {
      assert.equal(parseProtectorId(form), canonical, form);
    }
  });

  it('reads and writes the mixed-endian on-disk bytes', () => {
    assert.equal(protectorIdFromBytes(Buffer.from(onDisk, 'hex')), canonical);
    assert.equal(
      Buffer.from(protectorIdToBytes(`{${canonical.toLowerCase()}}`)).toString('hex'),
      onDisk,
    );
  });

  it('gives the 8-character Key ID the recovery screen shows', () => {
    assert.equal(shortProtectorId(`{${canonical.toLowerCase()}}`), '64311DEA');
  });

  it('refuses what is not an ID with a typed error saying what is wrong', () => {
    const refuse = (input: string, pattern: RegExp): void => {
      assert.throws(
        () => parseProtectorId(input),
        (error: unknown) =>
          error instanceof ProtectorIdError &&
          error instanceof BitLockerFormatError &&
          error.code === 'invalid-protector-id' &&
          pattern.test(error.message),
      );
    };
    refuse('64311DEA', /8 hex digits.*prefix/);
    refuse(`${canonical}0`, /not a key protector ID/);
    refuse(canonical.replace('E', 'G'), /not a key protector ID/);
    refuse('', /not a key protector ID/);
    assert.throws(() => protectorIdFromBytes(new Uint8Array(15)), ProtectorIdError);
  });

  it('matches Key ID prefixes however they are typed', () => {
    assert.equal(normalizeKeyIdPrefix('{64311dea-45'), '64311DEA45');
    assert.ok(matchesKeyIdPrefix(canonical, '64311dea'));
    assert.ok(matchesKeyIdPrefix(`{${canonical}}`, '64311DEA-4587'));
    assert.ok(!matchesKeyIdPrefix(canonical, '64311DEB'));
    assert.throws(() => normalizeKeyIdPrefix('64311XYZ'), /only the digits 0-9 and letters A-F/);
    assert.throws(() => normalizeKeyIdPrefix(' - '), /empty/);
  });

  it('round-trips any 16 bytes through the canonical form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = protectorIdFromBytes(bytes);
        assert.match(id, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
        assert.deepEqual([...protectorIdToBytes(id)], [...bytes]);
        assert.equal(parseProtectorId(`{${id.toLowerCase()}}`), id);
      }),
    );
  });
});
