/**
 * Hostile volumes: the header and metadata of the Windows-made corpus, mutated. The parser may
 * refuse a volume only with a BitLockerFormatError; anything else (a RangeError from reading
 * past a buffer, a TypeError) is a bug. Most mutations get their CRC fixed up afterwards, so
 * that they reach the entry parser and key handling instead of stopping at the checksum.
 * Hangs show up as the runner's timeout; reads are checked against the source's bounds.
 */
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { corpusImages } from '../../../test/cli/volume-corpus.js';
import { corpusSkip } from '../../../test/support/requirements.js';
import { BitLockerFormatError } from '../errors.js';
import { crc32 } from './crc32.js';
import { inspectVolume } from './inspection.js';
import { metadataAreaSize, volumeHeaderSize } from './metadata.js';
import type { ByteSource } from '../byte-source.js';
import { assertDecryptable, openVolume, readBitLockerVolume } from './volume.js';
import { mapRange, volumeLayout } from './volume-layout.js';

/** At least 10,000 cases; KEYHOLD_FUZZ_RUNS raises it for a longer local hunt. */
const numRuns = Math.max(10_000, Number(process.env.KEYHOLD_FUZZ_RUNS ?? 0));
/** The part of each metadata area that holds data in the corpus; the rest is zeros. */
const sampleBlockSize = 4096;

interface Sample {
  name: string;
  header: Buffer;
  block: Buffer;
  offsets: number[];
  size: number;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  readSync(fd, bytes, 0, length, offset);
  return bytes;
}

function loadSamples(): Sample[] {
  return corpusImages().map((image) => {
    const fd = openSync(image.path, 'r');
    try {
      const header = readAt(fd, 0, volumeHeaderSize);
      const offsetAt = header.toString('latin1', 3, 11) === 'MSWIN4.1' ? 440 : 176;
      const offsets = [0, 1, 2].map((i) => Number(header.readBigUInt64LE(offsetAt + 8 * i)));
      // The last copy: on the -crc image the first ones are damaged already.
      const block = readAt(fd, offsets[2] ?? 0, sampleBlockSize);
      return { name: image.name, header, block, offsets, size: fstatSync(fd).size };
    } finally {
      closeSync(fd);
    }
  });
}

type Mutation =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u64'; at: number; value: bigint }
  | { kind: 'zero'; at: number; length: number }
  | { kind: 'copy'; from: number; at: number; length: number };

// Values are the ones that break careless parsers: zero, one, just below and above a header
// size, all ones.
function mutationWithin(position: fc.Arbitrary<number>): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.nat(255) }),
    fc.record({
      kind: fc.constant('u16' as const),
      at: position.map((n) => n & ~1),
      value: fc.constantFrom(0, 1, 2, 7, 8, 9, 12, 27, 28, 36, 44, 0x7fff, 0xffff, 0x8004, 0x0800),
    }),
    fc.record({
      kind: fc.constant('u32' as const),
      at: position.map((n) => n & ~3),
      value: fc.constantFrom(0, 1, 47, 48, 49, 0x1000, 0xffff, 0x7fffffff, 0xffffffff),
    }),
    fc.record({
      kind: fc.constant('u64' as const),
      at: fc.constantFrom(16, 32, 40, 48, 56, 64 + 40),
      value: fc.constantFrom(0n, 1n, 511n, 2n ** 40n, 2n ** 53n, 2n ** 64n - 1n),
    }),
    fc.record({
      kind: fc.constant('zero' as const),
      at: position,
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({
      kind: fc.constant('copy' as const),
      from: position,
      at: position,
      length: fc.integer({ min: 1, max: 128 }),
    }),
  );
}

// Block mutations cluster where the structure is (the first 2 KiB).
const blockMutation = mutationWithin(fc.oneof(fc.nat(2047), fc.nat(sampleBlockSize - 1)));
const headerMutation = mutationWithin(fc.nat(volumeHeaderSize - 1));

function mutate(bytes: Buffer, mutations: readonly Mutation[]): void {
  for (const m of mutations) {
    switch (m.kind) {
      case 'byte':
        if (m.at < bytes.length) bytes.writeUInt8(m.value, m.at);
        break;
      case 'u16':
        if (m.at + 2 <= bytes.length) bytes.writeUInt16LE(m.value, m.at);
        break;
      case 'u32':
        if (m.at + 4 <= bytes.length) bytes.writeUInt32LE(m.value, m.at);
        break;
      case 'u64':
        if (m.at + 8 <= bytes.length) bytes.writeBigUInt64LE(m.value, m.at);
        break;
      case 'zero':
        bytes.fill(0, m.at, Math.min(bytes.length, m.at + m.length));
        break;
      case 'copy':
        bytes.copyWithin(m.at, m.from, Math.min(bytes.length, m.from + m.length));
        break;
    }
  }
}

/** Recomputes the block's CRC where its (possibly mutated) size field says it is. */
function fixCrc(block: Buffer): void {
  const size = block.readUInt16LE(8) * 16;
  if (size + 8 <= block.length) block.writeUInt32LE(crc32(block.subarray(0, size)), size + 4);
}

/** A volume in memory: the header, the metadata copies, zeros elsewhere; reads are audited. */
function hostileSource(header: Buffer, blocks: Buffer[], offsets: number[], size: number) {
  const reads: { offset: number; length: number }[] = [];
  const source: ByteSource = {
    name: 'hostile volume',
    size,
    read(offset, length) {
      reads.push({ offset, length });
      const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const place = (bytes: Buffer, at: number) => {
        const start = Math.max(at, offset);
        const end = Math.min(at + bytes.length, offset + out.length);
        if (start < end) out.set(bytes.subarray(start - at, end - at), start - offset);
      };
      place(header, 0);
      blocks.forEach((block, i) => {
        place(block, offsets[i] ?? 0);
      });
      return Promise.resolve(out);
    },
  };
  return { source, reads };
}

async function exercise(source: ByteSource): Promise<void> {
  const volume = await readBitLockerVolume(source);
  const info = inspectVolume(volume);
  assert.ok(info.protectors.length <= metadataAreaSize / 8);
  // Secrets that need no key stretch, so ten thousand cases stay fast.
  openVolume(volume, { kind: 'clear-key' });
  openVolume(volume, { kind: 'startup-key', keyId: info.volumeGuid, key: new Uint8Array(32) });
  assertDecryptable(volume);
  const layout = volumeLayout(volume.header, volume.metadata[0], source.size);
  const segments = mapRange(layout, 0, Math.min(layout.size, 1 << 20));
  assert.ok(segments.length < 64);
}

describe('volume metadata under hostile mutations', { skip: corpusSkip() }, () => {
  it(`refuses every mutated volume only with typed errors (${numRuns} cases)`, async () => {
    const samples = loadSamples();
    const outcomes = { parsed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(blockMutation, { maxLength: 8 }),
        fc.array(headerMutation, { maxLength: 3 }),
        fc.constantFrom('all-copies', 'first-copy'),
        fc.boolean(),
        async (sample, blockMutations, headerMutations, where, keepCrcValid) => {
          const header = Buffer.from(sample.header);
          const block = Buffer.from(sample.block);
          mutate(block, blockMutations);
          mutate(header, headerMutations);
          if (keepCrcValid) fixCrc(block);
          const blocks =
            where === 'first-copy' ? [block, sample.block, sample.block] : [block, block, block];
          const { source, reads } = hostileSource(header, blocks, sample.offsets, sample.size);
          try {
            await exercise(source);
            outcomes.parsed++;
          } catch (error) {
            if (!(error instanceof BitLockerFormatError)) throw error;
            outcomes.refused++;
          }
          assert.ok(reads.length <= 4, 'at most the header and three metadata copies are read');
          for (const read of reads) {
            assert.ok(read.offset >= 0 && Number.isSafeInteger(read.offset));
            assert.ok(read.length <= metadataAreaSize, 'no read is sized by untrusted input');
          }
        },
      ),
      { numRuns },
    );
    // The mutations must reach past the checksum, or the fuzzing proves little.
    assert.ok(outcomes.parsed > numRuns / 10, JSON.stringify(outcomes));
    assert.ok(outcomes.refused > numRuns / 10, JSON.stringify(outcomes));
  });
});
