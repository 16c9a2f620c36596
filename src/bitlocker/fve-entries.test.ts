import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fveEntryHeaderSize, readFveEntries } from './fve-entries.js';

function entry(type: number, valueType: number, value: number[]): Buffer {
  const bytes = Buffer.alloc(fveEntryHeaderSize + value.length);
  bytes.writeUInt16LE(bytes.length, 0);
  bytes.writeUInt16LE(type, 2);
  bytes.writeUInt16LE(valueType, 4);
  bytes.writeUInt16LE(1, 6);
  Buffer.from(value).copy(bytes, fveEntryHeaderSize);
  return bytes;
}

class Damaged extends Error {
  constructor(
    readonly offset: number,
    readonly size: number,
    readonly left: number,
  ) {
    super(`entry at ${offset} claims ${size}, ${left} left`);
  }
}

const damaged = (offset: number, size: number, left: number) => new Damaged(offset, size, left);

describe('FVE metadata entries', () => {
  it('splits a run into entries with their types, values and offsets', () => {
    const prefix = Buffer.from([0xaa, 0xbb]);
    const bytes = Buffer.concat([prefix, entry(2, 8, [1, 2, 3]), entry(6, 9, [])]);
    const entries = readFveEntries(bytes, prefix.length, bytes.length, damaged);
    assert.deepEqual(
      entries.map(({ type, valueType, offset, value }) => ({
        type,
        valueType,
        offset,
        value: [...value],
      })),
      [
        { type: 2, valueType: 8, offset: 2, value: [1, 2, 3] },
        { type: 6, valueType: 9, offset: 13, value: [] },
      ],
    );
  });

  it('stops at an entry of size 0 and at the end it is given, whatever follows', () => {
    const first = entry(2, 8, [7]);
    const afterZero = Buffer.concat([first, Buffer.alloc(fveEntryHeaderSize), entry(3, 3, [9])]);
    assert.equal(readFveEntries(afterZero, 0, afterZero.length, damaged).length, 1);
    const twoEntries = Buffer.concat([first, entry(3, 3, [9])]);
    assert.equal(readFveEntries(twoEntries, 0, first.length, damaged).length, 1);
  });

  it("reports an entry that claims more bytes than are left through the caller's error", () => {
    const bytes = entry(2, 8, [1, 2, 3, 4]);
    bytes.writeUInt16LE(200, 0);
    assert.throws(() => readFveEntries(bytes, 0, bytes.length, damaged), {
      offset: 0,
      size: 200,
      left: bytes.length,
    });
  });

  it('reports an entry too small to hold its own header', () => {
    const bytes = Buffer.concat([entry(2, 8, [1]), entry(2, 8, [1])]);
    bytes.writeUInt16LE(4, 9);
    assert.throws(() => readFveEntries(bytes, 0, bytes.length, damaged), { offset: 9, size: 4 });
  });

  it('never reads past the bytes there are, even when told of a later end', () => {
    const bytes = entry(2, 8, [1, 2]);
    bytes.writeUInt16LE(bytes.length + 6, 0);
    assert.throws(() => readFveEntries(bytes, 0, bytes.length + 100, damaged), {
      offset: 0,
      left: bytes.length,
    });
  });
});
