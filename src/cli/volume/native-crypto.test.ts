import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VolumeFormatError } from '../../bitlocker/volume/errors.js';
import type { EncryptionMethod } from '../../bitlocker/volume/metadata.js';
import type { SectorDecryptor } from '../../bitlocker/volume/sector-cipher.js';
import {
  nativeCrypto,
  portableCrypto,
  type NativeBinding,
} from '../../bitlocker/volume/volume-crypto.js';
import type { VolumeLayout } from '../../bitlocker/volume/volume-layout.js';
import { DecryptedVolumeReader } from '../../bitlocker/volume/volume-reader.js';
import { requirement } from '../../../test/support/requirements.js';
import { addonPath, chooseVolumeCrypto, outdatedAddonReason } from './native-crypto.js';

const choice = chooseVolumeCrypto();

describe('an addon built from an older Keyhold', () => {
  it('is set aside for the WebAssembly path, saying which functions it lacks and what to run', () => {
    const noop = () => undefined;
    const older = { stretchKey: noop, createDecryptor: noop, decrypt: noop };
    assert.match(
      outdatedAddonReason(older)?.en ?? '',
      /no decryptAsync, shaInstructions; `npm run build:native`/,
    );
    assert.match(
      outdatedAddonReason({ ...older, decryptAsync: noop })?.en ?? '',
      /no shaInstructions; `npm run build:native`/,
    );
    assert.equal(
      outdatedAddonReason({ ...older, decryptAsync: noop, shaInstructions: false }),
      undefined,
    );
  });
});
const native = choice.crypto;
const skip = requirement(
  'native',
  native.name === 'native' ? undefined : `the native addon is not in use (${choice.notice.en})`,
);

/**
 * The addon's two key stretch loops, each on its own: the one on the CPU's SHA instructions
 * (sha256-chain.c) where this CPU has them, and the OpenSSL loop every CPU runs.
 */
function stretchLoops() {
  if (native.name !== 'native') return [];
  const binding = createRequire(import.meta.url)(addonPath) as NativeBinding;
  return [
    ...(binding.shaInstructions
      ? [{ name: 'SHA instructions', crypto: nativeCrypto(binding, true) }]
      : []),
    { name: 'OpenSSL', crypto: nativeCrypto(binding, false) },
  ];
}

/** The native decryptor's off-thread call, which it always has. */
function decryptAsyncOf(decryptor: SectorDecryptor) {
  return async (input: Uint8Array, physicalOffset: number, output: Uint8Array) => {
    const decrypting = decryptor.decryptAsync?.(input, physicalOffset, output);
    assert.ok(decrypting, 'the native decryptor decrypts off the JavaScript thread');
    await decrypting;
  };
}

const methods: EncryptionMethod[] = [
  'aes-xts-128',
  'aes-xts-256',
  'aes-cbc-128',
  'aes-cbc-256',
  'aes-cbc-128-elephant',
  'aes-cbc-256-elephant',
];

describe('the native addon and the WebAssembly path agree', { skip }, () => {
  it('on the key stretch, both loops of the addon, for random hashes, salts and round counts', () => {
    const loops = stretchLoops();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 20_000 }),
        (hash, salt, rounds) => {
          const expected = Buffer.from(portableCrypto.stretchKey(hash, salt, rounds));
          assert.deepEqual(Buffer.from(native.stretchKey(hash, salt, rounds)), expected);
          for (const loop of loops) {
            const actual = Buffer.from(loop.crypto.stretchKey(hash, salt, rounds));
            assert.deepEqual(actual, expected, loop.name);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("on BitLocker's full 1,048,576-round stretch, both loops of the addon", () => {
    const hash = Buffer.alloc(32, 0x5a);
    const salt = Buffer.alloc(16, 0xa5);
    const expected = Buffer.from(portableCrypto.stretchKey(hash, salt));
    assert.deepEqual(Buffer.from(native.stretchKey(hash, salt)), expected);
    for (const loop of stretchLoops()) {
      assert.deepEqual(Buffer.from(loop.crypto.stretchKey(hash, salt)), expected, loop.name);
    }
  });

  it('on sector decryption, for every cipher, random keys, sectors and sector numbers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...methods),
        fc.constantFrom(512, 4096),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.integer({ min: 1, max: 40 }),
        // Sector numbers up to 2^40: offsets past 4 GiB exercise the high words of the tweak.
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (method, sectorSize, fvek, sectors, sector, seed) => {
          const input = new Uint8Array(sectors * sectorSize);
          let state = seed;
          for (let i = 0; i < input.length; i++) {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            input[i] = state >>> 24;
          }
          const offset = sector * sectorSize;
          const expected = new Uint8Array(input.length);
          portableCrypto
            .createSectorDecryptor(method, fvek, sectorSize)
            .decrypt(input, offset, expected);
          const decryptor = native.createSectorDecryptor(method, fvek, sectorSize);
          const actual = new Uint8Array(input.length);
          decryptor.decrypt(input, offset, actual);
          assert.deepEqual(Buffer.from(actual), Buffer.from(expected));
          // In place, as unlock decrypts.
          const inPlace = Uint8Array.from(input);
          decryptor.decrypt(inPlace, offset, inPlace);
          assert.deepEqual(Buffer.from(inPlace), Buffer.from(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on XTS with AES-NI alone, which KEYHOLD_NATIVE_VAES=0 keeps where VAES would run', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EncryptionMethod>('aes-xts-128', 'aes-xts-256'),
        fc.constantFrom(512, 4096),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (method, sectorSize, fvek, sectors, sector) => {
          const input = new Uint8Array(sectors * sectorSize).map((_, i) => (i * 131) >>> 2);
          const offset = sector * sectorSize;
          const expected = new Uint8Array(input.length);
          portableCrypto
            .createSectorDecryptor(method, fvek, sectorSize)
            .decrypt(input, offset, expected);
          // The addon reads the setting when it creates a decryptor.
          process.env.KEYHOLD_NATIVE_VAES = '0';
          let decryptor: SectorDecryptor;
          try {
            decryptor = native.createSectorDecryptor(method, fvek, sectorSize);
          } finally {
            delete process.env.KEYHOLD_NATIVE_VAES;
          }
          const actual = new Uint8Array(input.length);
          decryptor.decrypt(input, offset, actual);
          assert.deepEqual(Buffer.from(actual), Buffer.from(expected));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('on sector decryption off the JavaScript thread, several calls at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods),
        fc.constantFrom(512, 4096),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.array(
          fc.record({
            sectors: fc.integer({ min: 1, max: 40 }),
            sector: fc.integer({ min: 0, max: 2 ** 40 }),
            bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (method, sectorSize, fvek, chunks) => {
          const portable = portableCrypto.createSectorDecryptor(method, fvek, sectorSize);
          const decryptAsync = decryptAsyncOf(
            native.createSectorDecryptor(method, fvek, sectorSize),
          );
          // One decryptor for all chunks, started together: each call runs on a pool thread.
          const inputs = chunks.map(({ sectors, bytes }) => {
            const input = new Uint8Array(sectors * sectorSize);
            for (let i = 0; i < input.length; i++) input[i] = (bytes[i % 16] ?? 0) ^ (i >> 4);
            return input;
          });
          const outputs = inputs.map((input) => Uint8Array.from(input));
          await Promise.all(
            outputs.map((output, i) =>
              decryptAsync(output, (chunks[i]?.sector ?? 0) * sectorSize, output),
            ),
          );
          inputs.forEach((input, i) => {
            const expected = new Uint8Array(input.length);
            portable.decrypt(input, (chunks[i]?.sector ?? 0) * sectorSize, expected);
            assert.deepEqual(Buffer.from(outputs[i] ?? []), Buffer.from(expected));
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses partial sectors instead of reading past the buffer', async () => {
    const decryptor = native.createSectorDecryptor('aes-xts-128', new Uint8Array(64), 512);
    assert.throws(() => {
      decryptor.decrypt(new Uint8Array(700), 0, new Uint8Array(700));
    }, /whole 512-byte sectors/);
    await assert.rejects(
      decryptAsyncOf(decryptor)(new Uint8Array(700), 0, new Uint8Array(700)),
      /whole 512-byte sectors/,
    );
  });

  it('copies a volume file to file as the WebAssembly path reads it, for every cipher', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyhold-copy-'));
    try {
      for (const method of methods) {
        const sectorSize = 512;
        // Moved first sectors, two areas that read as zeros, and a clear tail past the encrypted
        // size that ends off a sector; longer than the addon's 256 KiB block.
        const layout: VolumeLayout = {
          size: 700_000 + 100,
          sectorSize,
          encryptedSize: 600 * 1024,
          relocatedOffset: 500 * 1024,
          relocatedSize: 16 * sectorSize,
          zeroRanges: [
            { start: 64 * 1024, end: 128 * 1024 },
            { start: 500 * 1024, end: 500 * 1024 + 16 * sectorSize },
          ],
        };
        const image = new Uint8Array(layout.size);
        for (let i = 0; i < image.length; i++) image[i] = (i * 7919) >>> 5;
        const imagePath = join(folder, `${method}.img`);
        writeFileSync(imagePath, image);
        const fvek = new Uint8Array(64).map((_, i) => i * 3);
        const memory = {
          name: 'memory',
          size: image.length,
          read: (offset: number, length: number) =>
            Promise.resolve(image.subarray(offset, offset + length)),
        };
        const portable = portableCrypto.createSectorDecryptor(method, fvek, sectorSize);
        const expected = new Uint8Array(layout.size);
        await new DecryptedVolumeReader(memory, layout, portable).readInto(0, expected);

        const reader = new DecryptedVolumeReader(
          memory,
          layout,
          native.createSectorDecryptor(method, fvek, sectorSize),
        );
        assert.ok(reader.copiesBetweenFiles, 'the native decryptor copies file to file');
        const input = await open(imagePath, 'r');
        const outputPath = join(folder, `${method}.out`);
        const output = await open(outputPath, 'w');
        try {
          // Out of order and at once, as unlock runs them.
          await Promise.all([
            reader.copyBetweenFiles(input.fd, output.fd, 300 * 1024, layout.size - 300 * 1024),
            reader.copyBetweenFiles(input.fd, output.fd, 0, 300 * 1024),
          ]);
        } finally {
          await output.close();
          await input.close();
        }
        assert.deepEqual(readFileSync(outputPath), Buffer.from(expected), method);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('copies a volume in order to an output that takes bytes only so, for every cipher', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyhold-ordered-'));
    try {
      for (const method of methods) {
        const sectorSize = 512;
        // A zero area, moved first sectors and a clear tail that ends off a sector, as above.
        const layout: VolumeLayout = {
          size: 900_000 + 100,
          sectorSize,
          encryptedSize: 800 * 1024,
          relocatedOffset: 600 * 1024,
          relocatedSize: 16 * sectorSize,
          zeroRanges: [{ start: 600 * 1024, end: 600 * 1024 + 16 * sectorSize }],
        };
        const image = new Uint8Array(layout.size);
        for (let i = 0; i < image.length; i++) image[i] = (i * 7907) >>> 3;
        const imagePath = join(folder, `${method}.img`);
        writeFileSync(imagePath, image);
        const fvek = new Uint8Array(64).map((_, i) => 255 - i);
        const memory = {
          name: 'memory',
          size: image.length,
          read: (offset: number, length: number) =>
            Promise.resolve(image.subarray(offset, offset + length)),
        };
        const portable = portableCrypto.createSectorDecryptor(method, fvek, sectorSize);
        const expected = new Uint8Array(layout.size);
        await new DecryptedVolumeReader(memory, layout, portable).readInto(0, expected);

        const reader = new DecryptedVolumeReader(
          memory,
          layout,
          native.createSectorDecryptor(method, fvek, sectorSize),
        );
        assert.ok(reader.copiesInOrder, 'the native decryptor copies in order');
        const input = await open(imagePath, 'r');
        const outputPath = join(folder, `${method}.out`);
        // Appending: the output's position is all that places the bytes, as on a pipe.
        const output = await open(outputPath, 'a');
        try {
          const copy = reader.copierInOrder(input.fd, output.fd, 0);
          // At once: the last, shortest range usually finishes decrypting first.
          await Promise.all([
            copy(0, 400 * 1024),
            copy(400 * 1024, 300 * 1024),
            copy(700 * 1024, layout.size - 700 * 1024),
          ]);
        } finally {
          await output.close();
          await input.close();
        }
        assert.deepEqual(readFileSync(outputPath), Buffer.from(expected), method);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes nothing after a range that fails when copying in order', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyhold-ordered-'));
    try {
      // The image ends in the second range; the third reads nothing (zeros) and would be ready.
      const layout: VolumeLayout = {
        size: 64 * 1024,
        sectorSize: 512,
        encryptedSize: 64 * 1024,
        relocatedOffset: 0,
        relocatedSize: 0,
        zeroRanges: [{ start: 48 * 1024, end: 64 * 1024 }],
      };
      const imagePath = join(folder, 'short.img');
      writeFileSync(imagePath, new Uint8Array(32 * 1024));
      const memory = {
        name: 'memory',
        size: layout.size,
        read: () => Promise.resolve(new Uint8Array()),
      };
      const reader = new DecryptedVolumeReader(
        memory,
        layout,
        native.createSectorDecryptor('aes-xts-128', new Uint8Array(32), 512),
      );
      const input = await open(imagePath, 'r');
      const outputPath = join(folder, 'short.out');
      const output = await open(outputPath, 'a');
      try {
        const copy = reader.copierInOrder(input.fd, output.fd, 0);
        const [first, second, third] = await Promise.allSettled([
          copy(0, 16 * 1024),
          copy(16 * 1024, 32 * 1024),
          copy(48 * 1024, 16 * 1024),
        ]);
        assert.equal(first.status, 'fulfilled');
        assert.ok(
          second.status === 'rejected' &&
            second.reason instanceof VolumeFormatError &&
            second.reason.message.includes('incomplete'),
        );
        assert.ok(
          third.status === 'rejected' &&
            (third.reason as { code?: unknown }).code === 'KEYHOLD_COPY_ABANDONED',
        );
      } finally {
        await output.close();
        await input.close();
      }
      assert.equal(readFileSync(outputPath).length, 16 * 1024);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('says the image is incomplete when it ends before the range to copy', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyhold-copy-'));
    try {
      const layout: VolumeLayout = {
        size: 64 * 1024,
        sectorSize: 512,
        encryptedSize: 64 * 1024,
        relocatedOffset: 0,
        relocatedSize: 0,
        zeroRanges: [],
      };
      const imagePath = join(folder, 'short.img');
      writeFileSync(imagePath, new Uint8Array(32 * 1024));
      const memory = {
        name: 'memory',
        size: layout.size,
        read: () => Promise.resolve(new Uint8Array()),
      };
      const fvek = new Uint8Array(32);
      const reader = new DecryptedVolumeReader(
        memory,
        layout,
        native.createSectorDecryptor('aes-xts-128', fvek, 512),
      );
      const input = await open(imagePath, 'r');
      const output = await open(join(folder, 'short.out'), 'w');
      try {
        await assert.rejects(
          reader.copyBetweenFiles(input.fd, output.fd, 0, layout.size),
          (error: unknown) =>
            error instanceof VolumeFormatError && error.message.includes('incomplete'),
        );
      } finally {
        await output.close();
        await input.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
