import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firstFreeKeySlot, LuksDumpError, parseLuksDump } from './luks-dump.js';

// Printed by cryptsetup 2.6.1 for a 32 MiB LUKS2 image with slots 0 and 3 and one token, and
// for a LUKS1 image.
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'luks');
const luks2 = readFileSync(join(fixtures, 'luks2-two-slots-and-token.txt'), 'utf8');
const luks1 = readFileSync(join(fixtures, 'luks1.txt'), 'utf8');

describe('cryptsetup luksDump output', () => {
  it('gives the UUID and the key slots in use, not the tokens or digests', () => {
    assert.deepEqual(parseLuksDump(luks2), {
      version: 2,
      uuid: '35748a18-4be6-4ab8-aa5b-6178aeb76940',
      keySlots: [0, 3],
    });
  });

  it('reads Windows line ends and an upper-case UUID the same way', () => {
    const header = parseLuksDump(luks2.replace(/\n/g, '\r\n').replace(/35748a18/, '35748A18'));
    assert.equal(header.uuid, '35748a18-4be6-4ab8-aa5b-6178aeb76940');
    assert.deepEqual(header.keySlots, [0, 3]);
  });

  it('names a LUKS1 volume as such, so the agent can refuse it', () => {
    const header = parseLuksDump(luks1);
    assert.equal(header.version, 1);
    assert.equal(header.uuid, '3ad58b35-a536-4f5e-b607-30c88c19847b');
  });

  it('refuses text that is not a dump, or a dump it cannot read all of', () => {
    assert.throws(() => parseLuksDump('Device t.img is not a valid LUKS device.'), LuksDumpError);
    assert.throws(() => parseLuksDump(luks2.replace(/UUID:.*\n/, '')), /no valid UUID/);
    assert.throws(() => parseLuksDump(luks2.replace('Keyslots:', 'Key slots:')), /no Keyslots/);
    assert.throws(() => parseLuksDump(luks2.replace('  3: luks2', '  32: luks2')), /above 31/);
  });

  it('finds the lowest free slot, leaving out slots already promised', () => {
    assert.equal(firstFreeKeySlot([0, 3]), 1);
    assert.equal(firstFreeKeySlot([0, 3], [1]), 2);
    assert.equal(firstFreeKeySlot(Array.from({ length: 32 }, (_, slot) => slot)), undefined);
  });
});
