import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { corpusImage, corpusImages } from '../../../test/cli/volume-corpus.js';
import { corpusSkip } from '../../../test/support/requirements.js';
import { openImageSource, type ImageSource } from '../../cli/volume/image-source.js';
import type { ByteSource } from '../byte-source.js';
import { BitLockerFormatError } from '../errors.js';
import { crc32 } from './crc32.js';
import { UnsupportedVolumeError, VolumeFormatError } from './errors.js';
import { volumeHeaderSize } from './metadata.js';
import {
  assertDecryptable,
  ConversionRefusedError,
  openVolume,
  readBitLockerVolume,
  verifyVolumeKey,
} from './volume.js';
import { createVolumeReader } from './volume-reader.js';

const skip = corpusSkip();

/** An in-memory source: the header and metadata areas of an image, with edits applied. */
async function editedCopy(
  source: ImageSource,
  edit: (bytes: Buffer, offsets: number[]) => void,
): Promise<ByteSource> {
  const volume = await readBitLockerVolume(source);
  const end = Math.max(...volume.header.metadataOffsets) + 0x10000;
  const bytes = Buffer.from(await source.read(0, end));
  edit(bytes, volume.header.metadataOffsets);
  return {
    name: 'edited copy',
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

describe('BitLocker volume metadata (Windows-made corpus)', { skip }, () => {
  const sources = new Map<string, ImageSource>();
  const source = (name: string) => {
    const found = sources.get(name);
    if (!found) throw new Error(`${name} not opened`);
    return found;
  };
  before(async () => {
    for (const image of corpusImages()) sources.set(image.name, await openImageSource(image.path));
  });
  after(async () => {
    for (const opened of sources.values()) await opened.close();
  });

  it('reads every image: volume GUID, protector IDs and a good metadata copy', async () => {
    for (const image of corpusImages()) {
      const volume = await readBitLockerVolume(source(image.name));
      const metadata = volume.metadata[0];
      assert.equal(metadata.volumeGuid, image.guid.toUpperCase(), image.name);
      const ids = metadata.protectors.map((p) => p.id);
      for (const key of ['PW_VMK_GUID', 'RP_VMK_GUID', 'RP2_VMK_GUID', 'SK_VMK_GUID']) {
        const id = image.fields[key];
        if (id) assert.ok(ids.includes(id.toUpperCase()), `${image.name} ${key}`);
      }
    }
  });

  it('reads the worked vector: method, salts, description, state', async () => {
    const volume = await readBitLockerVolume(source('bitlk-aes-xts-128'));
    const metadata = volume.metadata[0];
    assert.equal(metadata.encryptionMethod, 'aes-xts-128');
    assert.equal(metadata.description, 'DESKTOP-NPM7RCA H: 7/4/2019');
    assert.equal(volume.state, 'fully-encrypted');
    const recovery = metadata.protectors.find((p) => p.type === 'recovery-password');
    assert.ok(recovery?.salt);
    assert.equal(recovery.id, '64311DEA-4587-4029-924A-BA299647998E');
    assert.equal(Buffer.from(recovery.salt).toString('hex'), '2ba080989af9b50c203aaebd0b40d498');
    const password = metadata.protectors.find((p) => p.type === 'password');
    assert.equal(
      Buffer.from(password?.salt ?? []).toString('hex'),
      '8d7637cc5d885d5ff4f748dbc8440d2e',
    );
  });

  it('skips metadata copies whose CRC fails', async () => {
    const volume = await readBitLockerVolume(source('bitlk-aes-xts-128-crc'));
    assert.deepEqual(
      volume.copies.map((copy) => copy.status),
      ['bad-crc', 'bad-crc', 'good'],
    );
    assert.equal(volume.metadata[0].description, 'DESKTOP-NPM7RCA H: 7/4/2019');
  });

  it('gives a clear error when every copy is damaged', async () => {
    const damaged = await editedCopy(source('bitlk-aes-xts-128'), (bytes, offsets) => {
      for (const offset of offsets)
        bytes.writeUInt8(bytes.readUInt8(offset + 0x80) ^ 0xff, offset + 0x80);
    });
    await assert.rejects(readBitLockerVolume(damaged), (error: unknown) => {
      assert.ok(error instanceof VolumeFormatError);
      assert.equal(error.code, 'metadata-damaged');
      assert.match(error.message, /All 3 copies of the BitLocker metadata are damaged/);
      return true;
    });
  });

  it('tells a used-space-only volume, a To Go volume and a non-BitLocker volume apart', async () => {
    const eow = await readBitLockerVolume(source('bitlk-aes-xts-128-eow'));
    assert.equal(eow.state, 'used-space-only');
    assert.equal(eow.conversion.mode, 'used-space-only');
    assert.equal(eow.conversion.status, 'fully-encrypted');
    assert.throws(
      () => {
        assertDecryptable(eow);
      },
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedVolumeError);
        assert.equal(error.code, 'used-space-only');
        assert.match(
          error.message,
          /encryption mode used space only \(encrypt on write\), conversion fully encrypted/,
        );
        assert.match(error.wording.nb, /krypteringsmodus bare brukt diskplass/);
        return true;
      },
    );
    const togo = await readBitLockerVolume(source('bitlk-togo-aes-cbc-128'));
    assert.equal(togo.header.kind, 'to-go');
    const blank: ByteSource = {
      name: 'blank',
      size: volumeHeaderSize,
      read: () => Promise.resolve(new Uint8Array(volumeHeaderSize)),
    };
    await assert.rejects(readBitLockerVolume(blank), /not a BitLocker volume/);
  });

  it('opens with the recovery password and gives the worked VMK and FVEK', async () => {
    const image = corpusImage('bitlk-aes-xts-128');
    const volume = await readBitLockerVolume(source(image.name));
    const result = openVolume(volume, {
      kind: 'recovery-password',
      password: image.recoveryPassword ?? '',
    });
    assert.ok(result.opened);
    assert.equal(result.keys.protector.id, '64311DEA-4587-4029-924A-BA299647998E');
    assert.equal(
      result.keys.vmk.toString('hex'),
      'e5862465920b1190605ae29547623fb9c0dbafab073c85634bfb0f8a4b8cf46b',
    );
    assert.equal(
      result.keys.fvek.toString('hex'),
      'cc493ad40376cf719d3725073d5c1a6ca5759fc4ad179c95572f16c01a260d66',
    );
  });

  it('answers "does not open" for a wrong password and for a missing protector kind', async () => {
    const wrong = await verifyVolumeKey(source('bitlk-aes-xts-128'), {
      kind: 'password',
      password: 'not the password',
    });
    assert.ok(!wrong.opens);
    assert.equal(wrong.reason, 'wrong-key');
    const clear = await verifyVolumeKey(source('bitlk-aes-xts-128'), { kind: 'clear-key' });
    assert.ok(!clear.opens);
    assert.equal(clear.reason, 'no-matching-protector');
    assert.deepEqual(
      clear.protectors.map((p) => p.type),
      ['password', 'recovery-password'],
    );
  });

  it('opens every image with its password and its second recovery password', async () => {
    for (const image of corpusImages().filter((i) => i.password && i.passwordProtectorId)) {
      const check = await verifyVolumeKey(source(image.name), {
        kind: 'password',
        password: image.password ?? '',
      });
      assert.ok(check.opens, image.name);
      assert.equal(check.protector.id, image.passwordProtectorId?.toUpperCase());
    }
    const image = corpusImage('bitlk-aes-xts-128-two-recovery');
    const second = await verifyVolumeKey(source(image.name), {
      kind: 'recovery-password',
      password: image.fields.RP2 ?? '',
    });
    assert.ok(second.opens);
    assert.equal(second.protector.id, image.fields.RP2_VMK_GUID?.toUpperCase());
  });

  it('refuses partially encrypted volumes and volumes only a TPM can open, naming why', async () => {
    const image = source('bitlk-aes-xts-128');
    const withCrc = (bytes: Buffer, offset: number) => {
      const size = bytes.readUInt16LE(offset + 8) * 16;
      bytes.writeUInt32LE(crc32(bytes.subarray(offset, offset + size)), offset + size + 4);
    };
    // Encryption paused after the first 40 MiB: current state 5 (paused), next 4 (encrypted).
    const paused = await editedCopy(image, (bytes, offsets) => {
      for (const offset of offsets) {
        bytes.writeUInt16LE(5, offset + 12);
        bytes.writeBigUInt64LE(40n << 20n, offset + 16);
        withCrc(bytes, offset);
      }
    });
    const pausedVolume = await readBitLockerVolume(paused);
    assert.equal(pausedVolume.state, 'partially-encrypted');
    assert.deepEqual(pausedVolume.conversion, {
      mode: 'full',
      status: 'paused',
      pausedWhile: 'encrypting',
      encryptedSize: 40 << 20,
    });
    assert.throws(
      () => {
        assertDecryptable(pausedVolume);
      },
      (error: unknown) => {
        assert.ok(error instanceof ConversionRefusedError);
        assert.equal(error.code, 'partially-encrypted');
        assert.match(
          error.message,
          /encryption mode full \(whole drive\), conversion paused while encrypting/,
        );
        assert.match(error.message, /encrypted 41,943,040 of [\d,]+ bytes/);
        return true;
      },
    );

    const tpmOnly = await editedCopy(image, (bytes, offsets) => {
      for (const offset of offsets) {
        // The protection type of both VMK entries (entry + 8 header + 26).
        for (const entry of [0xb0, 0x190]) bytes.writeUInt16LE(0x0100, offset + entry + 8 + 26);
        withCrc(bytes, offset);
      }
    });
    const tpmVolume = await readBitLockerVolume(tpmOnly);
    assert.deepEqual(
      tpmVolume.metadata[0].protectors.map((p) => p.type),
      ['tpm', 'tpm'],
    );
    assert.throws(
      () => {
        assertDecryptable(tpmVolume);
      },
      { code: 'no-usable-protector', message: /only be opened by tpm protectors/ },
    );
  });

  it('refuses metadata whose integrity hash does not match, even with a fixed-up CRC', async () => {
    const tampered = await editedCopy(
      source('bitlk-aes-xts-128-clearkey-only'),
      (bytes, offsets) => {
        for (const offset of offsets) {
          const size = bytes.readUInt16LE(offset + 8) * 16;
          // A different description: a change the CRC alone cannot catch once recomputed.
          bytes[offset + 0x78] = 0x58;
          bytes.writeUInt32LE(crc32(bytes.subarray(offset, offset + size)), offset + size + 4);
        }
      },
    );
    const volume = await readBitLockerVolume(tampered);
    assert.throws(
      () => openVolume(volume, { kind: 'clear-key' }),
      (error: unknown) => {
        assert.ok(error instanceof BitLockerFormatError);
        assert.equal(error.code, 'metadata-tampered');
        return true;
      },
    );
  });

  it('decrypts the first sector of every decryptable image into a boot sector', async () => {
    for (const image of corpusImages().filter((i) => i.sha256 && i.password)) {
      const volume = await readBitLockerVolume(source(image.name));
      const opened = openVolume(volume, { kind: 'password', password: image.password ?? '' });
      assert.ok(opened.opened, image.name);
      const reader = createVolumeReader(source(image.name), volume, opened.metadata, opened.keys);
      const sector = new Uint8Array(reader.layout.sectorSize);
      await reader.readInto(0, sector);
      assert.match(
        Buffer.from(sector.subarray(3, 11)).toString('latin1'),
        /NTFS|MSDOS|EXFAT/,
        image.name,
      );
      assert.equal(sector[510], 0x55, image.name);
      assert.equal(sector[511], 0xaa, image.name);
    }
  });
});
