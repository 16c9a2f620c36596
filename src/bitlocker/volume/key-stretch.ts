import { instruction, opcode, encodeModule, webAssembly } from './wasm-encoding.js';

/**
 * BitLocker's key stretch: 1,048,576 chained SHA-256 over an 88-byte struct
 * `{last[32], initial[32], salt[16], u64 count}` (docs/bitlocker-format.md, section 7.1).
 *
 * Node's hash functions cost about a microsecond per call, so a million calls take a second.
 * Instead a WebAssembly function is generated for this one message shape: both 64-byte SHA-256
 * blocks are unrolled, and every part of the computation that does not change from one round
 * to the next (the initial hash, the salt, the padding and the words derived only from them) is
 * folded into constants or computed once before the loop.
 */

const stretchRounds = 0x100000;

const roundConstants = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const initialState = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Where the generated function finds its inputs: 32-bit words, big-endian values. */
const memory = { last: 0, initial: 32, salt: 64, counter: 80 } as const;
/** 88 bytes, in bits: the length field of the second block's padding. */
const messageBits = 88 * 8;

/** A 32-bit value while generating code, classified by how often it must be computed. */
type Stored =
  | { kind: 'constant'; value: number }
  | { kind: 'invariant'; local: number }
  | { kind: 'variable'; local: number };
type Value = Stored | { kind: 'code'; code: number[] };

const rank = { constant: 0, invariant: 1, variable: 2, code: 2 } as const;

class StretchCodeBuilder {
  /** Instructions that run once, before the loop. */
  readonly preheader: number[] = [];
  /** Instructions of one stretch round. */
  readonly body: number[] = [];
  /** Local 0 is the parameter: the number of rounds to run. */
  localCount = 1;

  newLocal(): number {
    return this.localCount++;
  }

  push(target: number[], value: Value): void {
    if (value.kind === 'constant') target.push(...instruction.i32Const(value.value));
    else if (value.kind === 'code') target.push(...value.code);
    else target.push(...instruction.localGet(value.local));
  }

  /** Keeps a value in a local so it can be used more than once. */
  store(value: Value): Stored {
    if (value.kind !== 'code') return value;
    const local = this.newLocal();
    this.body.push(...value.code, ...instruction.localSet(local));
    return { kind: 'variable', local };
  }

  load(address: number): Stored {
    const local = this.newLocal();
    this.preheader.push(...instruction.loadWord(address), ...instruction.localSet(local));
    return { kind: 'invariant', local };
  }

  private binary(op: number, fold: (a: number, b: number) => number, a: Value, b: Value): Value {
    if (a.kind === 'constant' && b.kind === 'constant') {
      return { kind: 'constant', value: fold(a.value, b.value) | 0 };
    }
    const code: number[] = [];
    this.push(code, a);
    this.push(code, b);
    code.push(op);
    if (Math.max(rank[a.kind], rank[b.kind]) === rank.invariant) {
      const local = this.newLocal();
      this.preheader.push(...code, ...instruction.localSet(local));
      return { kind: 'invariant', local };
    }
    return { kind: 'code', code };
  }

  add = (a: Value, b: Value) => this.binary(opcode.i32Add, (x, y) => x + y, a, b);
  and = (a: Value, b: Value) => this.binary(opcode.i32And, (x, y) => x & y, a, b);
  or = (a: Value, b: Value) => this.binary(opcode.i32Or, (x, y) => x | y, a, b);
  xor = (a: Value, b: Value) => this.binary(opcode.i32Xor, (x, y) => x ^ y, a, b);
  rotr = (a: Value, bits: number) =>
    this.binary(opcode.i32Rotr, (x, y) => (x >>> y) | (x << (32 - y)), a, constant(bits));
  shr = (a: Value, bits: number) =>
    this.binary(opcode.i32ShrU, (x, y) => x >>> y, a, constant(bits));

  /** Adds terms with constants folded and the invariant terms summed before the loop. */
  sum(...terms: Value[]): Value {
    const constantPart = terms.reduce(
      (total, term) => (term.kind === 'constant' ? (total + term.value) | 0 : total),
      0,
    );
    let result: Value | undefined = constantPart === 0 ? undefined : constant(constantPart);
    for (const term of terms.filter((t) => t.kind === 'invariant')) {
      result = result ? this.add(result, term) : term;
    }
    for (const term of terms.filter((t) => rank[t.kind] === rank.variable)) {
      result = result ? this.add(term, result) : term;
    }
    return result ?? constant(0);
  }

  /** Σ0, Σ1 (rounds) and σ0, σ1 (message schedule) of SHA-256. */
  bigSigma0 = (x: Value) => this.threeWay(x, 2, 13, 22, true);
  bigSigma1 = (x: Value) => this.threeWay(x, 6, 11, 25, true);
  smallSigma0 = (x: Value) => this.threeWay(x, 7, 18, 3, false);
  smallSigma1 = (x: Value) => this.threeWay(x, 17, 19, 10, false);

  private threeWay(value: Value, r1: number, r2: number, r3: number, rotateLast: boolean): Value {
    const x = this.store(value);
    const last = rotateLast ? this.rotr(x, r3) : this.shr(x, r3);
    return this.xor(this.xor(this.rotr(x, r1), this.rotr(x, r2)), last);
  }

  /** One SHA-256 compression; returns the new chaining state. */
  compress(state: Stored[], message: Stored[]): Stored[] {
    const w = [...message];
    let [a, b, c, d, e, f, g, h] = state as [
      Stored,
      Stored,
      Stored,
      Stored,
      Stored,
      Stored,
      Stored,
      Stored,
    ];
    for (let t = 0; t < 64; t++) {
      if (t >= 16) {
        w[t] = this.store(
          this.sum(
            this.smallSigma1(at(w, t - 2)),
            at(w, t - 7),
            this.smallSigma0(at(w, t - 15)),
            at(w, t - 16),
          ),
        );
      }
      const choose = this.xor(g, this.and(e, this.xor(f, g)));
      const t1 = this.store(
        this.sum(h, this.bigSigma1(e), choose, constant(at(roundConstants, t)), at(w, t)),
      );
      const majority = this.or(this.and(a, b), this.and(c, this.or(a, b)));
      const t2 = this.sum(this.bigSigma0(a), majority);
      h = g;
      g = f;
      f = e;
      e = this.store(this.sum(d, t1));
      d = c;
      c = b;
      b = a;
      a = this.store(this.sum(t1, t2));
    }
    return [a, b, c, d, e, f, g, h].map((word, i) => this.store(this.sum(word, at(state, i))));
  }
}

function constant(value: number): Stored {
  return { kind: 'constant', value: value | 0 };
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`internal: no item ${index}`);
  return item;
}

function buildStretchModule(): Uint8Array {
  const builder = new StretchCodeBuilder();
  const words = (address: number, count: number) =>
    Array.from({ length: count }, (_, i) => builder.load(address + 4 * i));
  const initial = words(memory.initial, 8);
  const salt = words(memory.salt, 4);
  const lastLocals = Array.from({ length: 8 }, () => builder.newLocal());
  const counterLocal = builder.newLocal();
  const last: Stored[] = lastLocals.map((local) => ({ kind: 'variable', local }));
  const counter: Stored = { kind: 'variable', local: counterLocal };

  const midState = builder.compress(initialState.map(constant), [...last, ...initial]);
  // The struct's count is a little-endian u64; SHA-256 reads big-endian words, so the low half
  // arrives byte-swapped and the high half (always zero below 2^32 rounds) is a constant.
  const swappedCount = builder.store(
    builder.or(
      builder.and(builder.rotr(counter, 24), constant(0x00ff00ff)),
      builder.and(builder.rotr(counter, 8), constant(0xff00ff00)),
    ),
  );
  const secondBlock = [
    ...salt,
    swappedCount,
    constant(0),
    constant(0x80000000),
    ...Array.from({ length: 8 }, () => constant(0)),
    constant(messageBits),
  ];
  const result = builder.compress(midState, secondBlock);
  result.forEach((word, i) => {
    builder.push(builder.body, word);
    builder.body.push(...instruction.localSet(at(lastLocals, i)));
  });
  builder.body.push(
    ...instruction.localGet(counterLocal),
    ...instruction.i32Const(1),
    opcode.i32Add,
    ...instruction.localSet(counterLocal),
  );

  const code = [
    ...builder.preheader,
    ...lastLocals.flatMap((local, i) => [
      ...instruction.loadWord(memory.last + 4 * i),
      ...instruction.localSet(local),
    ]),
    ...instruction.loadWord(memory.counter),
    ...instruction.localSet(counterLocal),
    ...instruction.countedLoop(0, builder.body),
    ...lastLocals.flatMap((local, i) => instruction.storeWord(memory.last + 4 * i, local)),
    ...instruction.storeWord(memory.counter, counterLocal),
  ];
  return encodeModule(1, [{ name: 'run', params: 1, i32Locals: builder.localCount - 1, code }]);
}

let compiled: object | undefined;

/** Rounds per call into WebAssembly: long enough to amortise the call, short enough to tier up. */
const roundsPerCall = 8192;

/**
 * The stretched key for a 32-byte initial hash and a 16-byte salt. `rounds` exists for tests;
 * BitLocker always uses {@link stretchRounds}.
 */
export function stretchKey(
  initialHash: Uint8Array,
  salt: Uint8Array,
  rounds = stretchRounds,
): Buffer {
  if (initialHash.length !== 32 || salt.length !== 16) {
    throw new RangeError('stretchKey needs a 32-byte hash and a 16-byte salt');
  }
  compiled ??= new webAssembly.Module(buildStretchModule());
  const instance = new webAssembly.Instance(compiled, {});
  const run = instance.exports.run as (rounds: number) => void;
  const view = new DataView((instance.exports.memory as { buffer: ArrayBuffer }).buffer);
  const input = Buffer.from(initialHash.buffer, initialHash.byteOffset, 32);
  const saltBytes = Buffer.from(salt.buffer, salt.byteOffset, 16);
  for (let i = 0; i < 8; i++) view.setInt32(memory.initial + 4 * i, input.readInt32BE(4 * i), true);
  for (let i = 0; i < 4; i++)
    view.setInt32(memory.salt + 4 * i, saltBytes.readInt32BE(4 * i), true);
  for (let done = 0; done < rounds; done += roundsPerCall)
    run(Math.min(roundsPerCall, rounds - done));
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(view.getInt32(memory.last + 4 * i, true), 4 * i);
  return out;
}
