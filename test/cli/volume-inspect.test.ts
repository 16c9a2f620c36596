import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { VolumeInspection } from '../../src/bitlocker/volume/inspection.js';
import { runKeyhold } from '../support/cli.js';
import { corpusSkip, requirement } from '../support/requirements.js';
import { corpusImages } from './volume-corpus.js';

const cryptsetupMissing =
  spawnSync('cryptsetup', ['--version']).error === undefined
    ? undefined
    : 'cryptsetup is not installed (Debian package cryptsetup-bin)';
const skip = corpusSkip() || requirement('corpus', cryptsetupMissing);

interface BitlkDump {
  guid: string;
  sectorSize: number;
  volumeSize: number;
  created: string;
  description: string;
  cipher: string;
  keyBits: number;
  keyslots: { guid: string; protection: string }[];
  metadataOffsets: number[];
}

/** The fields of `cryptsetup bitlkDump` that `keyhold inspect` also reports. */
function bitlkDump(path: string): BitlkDump {
  const text = execFileSync('cryptsetup', ['bitlkDump', path], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
  });
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  const keyslots = [
    ...text.matchAll(/GUID:\s*(\S+)\n\s*Protection:\s*VMK protected with (.*)/g),
  ].map((match) => ({ guid: match[1] ?? '', protection: match[2] ?? '' }));
  const metadataOffsets = [...text.matchAll(/FVE metadata area\n\s*Offset:\s*(\d+)/g)].map(
    (match) => Number(match[1]),
  );
  return {
    guid: field('GUID'),
    sectorSize: Number.parseInt(field('Sector size'), 10),
    volumeSize: Number.parseInt(field('Volume size'), 10),
    created: field('Created'),
    description: field('Description'),
    cipher: `${field('Cipher name')}-${field('Cipher mode')}`,
    keyBits: Number.parseInt(field('Cipher key'), 10),
    keyslots,
    metadataOffsets,
  };
}

/** cryptsetup's names for protectors, ciphers and times, in Keyhold's terms. */
const protections: Record<string, string> = {
  passphrase: 'password',
  'recovery passphrase': 'recovery-password',
  'startup key': 'startup-key',
  'clear key': 'clear-key',
  TPM: 'tpm',
};

function methodOf(cipher: string, keyBits: number): string {
  switch (cipher) {
    case 'aes-xts-plain64':
      return `aes-xts-${keyBits / 2}`;
    case 'aes-cbc-eboiv':
      return `aes-cbc-${keyBits}`;
    case 'aes-cbc-elephant':
      return `aes-cbc-${keyBits / 2}-elephant`;
    default:
      return cipher;
  }
}

/** ctime(3) format in UTC: "Thu Jul  4 06:37:58 2019". */
function ctime(iso: string | undefined): string {
  const date = new Date(iso ?? '');
  const day = date.toUTCString().slice(0, 3);
  const month = date.toUTCString().slice(8, 11);
  const time = date.toISOString().slice(11, 19);
  return `${day} ${month} ${String(date.getUTCDate()).padStart(2, ' ')} ${time} ${date.getUTCFullYear()}`;
}

describe('keyhold inspect against cryptsetup bitlkDump', { skip }, () => {
  for (const image of corpusImages()) {
    it(`reports what cryptsetup reports for ${image.name}`, async () => {
      const result = await runKeyhold(['inspect', image.path, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const info = JSON.parse(result.stdout) as VolumeInspection;
      const dump = bitlkDump(image.path);

      assert.deepEqual(Object.keys(info).slice(0, 7), [
        'volumeGuid',
        'encryptionMethod',
        'sectorSize',
        'description',
        'protectors',
        'metadataCopies',
        'state',
      ]);
      assert.equal(info.volumeGuid, dump.guid.toUpperCase());
      assert.equal(info.sectorSize, dump.sectorSize);
      assert.equal(info.encryptedSize, dump.volumeSize);
      assert.equal(info.encryptionMethod, methodOf(dump.cipher, dump.keyBits));
      assert.equal(ctime(info.createdAt), dump.created);
      assert.deepEqual(
        info.protectors.map((p) => ({ id: p.id, type: p.type })),
        dump.keyslots.map((slot) => ({
          id: slot.guid.toUpperCase(),
          type: protections[slot.protection] ?? slot.protection,
        })),
      );
      assert.deepEqual(
        info.metadataCopies.map((copy) => copy.offset),
        dump.metadataOffsets,
      );
      if (info.metadataCopies[0]?.status === 'good') {
        assert.equal(info.description, dump.description);
      } else {
        // cryptsetup does not check CRCs and shows the damaged first copy's text; Keyhold
        // skips that copy and shows the intact description.
        assert.notEqual(info.description, dump.description);
        assert.equal(info.description, 'DESKTOP-NPM7RCA H: 7/4/2019');
      }
    });
  }

  it('names the conversion state and the state of each metadata copy', async () => {
    const eow = corpusImages().find((image) => image.name.endsWith('-eow'));
    const crc = corpusImages().find((image) => image.name.endsWith('-crc'));
    assert.ok(eow && crc);
    const eowInfo = JSON.parse(
      (await runKeyhold(['inspect', eow.path, '--json'])).stdout,
    ) as VolumeInspection;
    assert.equal(eowInfo.state, 'used-space-only');
    assert.equal(eowInfo.mode, 'used-space-only');
    assert.equal(eowInfo.conversion, 'fully-encrypted');
    assert.equal(eowInfo.volumeSize, 104_857_600);
    const crcResult = await runKeyhold(['inspect', crc.path], { env: { LC_ALL: 'C.UTF-8' } });
    assert.equal(crcResult.code, 0);
    assert.match(crcResult.stdout, /1 {2}at byte 35213312 {2}CRC mismatch, skipped/);
    assert.match(crcResult.stdout, /3 {2}at byte 57909248 {2}good/);
    assert.match(
      crcResult.stdout,
      /Mode\s+full \(whole drive\)\n\s+Conversion\s+fully encrypted\n/,
    );
  });

  it('says plainly when a file is not a BitLocker volume', async () => {
    const result = await runKeyhold(['inspect', 'package.json']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /package\.json: This is not a BitLocker volume/);
    const missing = await runKeyhold(['inspect', 'no-such-image.img']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or device/);
  });
});
