/**
 * Just enough of the WebAssembly binary format to build small modules by hand: exported
 * functions over i32 parameters and locals, one exported linear memory, scalar i32 and a few
 * 128-bit SIMD instructions.
 */

export const opcode = {
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32ShrU: 0x76,
  i32Rotr: 0x78,
  block: 0x02,
  br: 0x0c,
  i32Eqz: 0x45,
  i32LtU: 0x49,
} as const;

/** SIMD instructions: the 0xfd prefix, then the instruction number (LEB128). */
export const simd = {
  load: [0xfd, 0x00],
  store: [0xfd, 0x0b],
  const: [0xfd, 0x0c],
  shuffle: [0xfd, 0x0d],
  and: [0xfd, 0x4e],
  xor: [0xfd, 0x51],
  i64x2Shl: [0xfd, 0xcb, 0x01],
  i64x2ShrS: [0xfd, 0xcc, 0x01],
} as const;

export const blockTypeEmpty = 0x40;
const valueTypeI32 = 0x7f;
const functionType = 0x60;

function unsignedLeb128(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return out;
}

function signedLeb128(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

export const instruction = {
  i32Const: (value: number) => [opcode.i32Const, ...signedLeb128(value)],
  localGet: (local: number) => [opcode.localGet, ...unsignedLeb128(local)],
  localSet: (local: number) => [opcode.localSet, ...unsignedLeb128(local)],
  /** Loads the aligned i32 at a fixed memory address. */
  loadWord: (address: number) => [
    ...instruction.i32Const(0),
    opcode.i32Load,
    2,
    ...unsignedLeb128(address),
  ],
  /** Stores a local into the aligned i32 at a fixed memory address. */
  storeWord: (address: number, local: number) => [
    ...instruction.i32Const(0),
    ...instruction.localGet(local),
    opcode.i32Store,
    2,
    ...unsignedLeb128(address),
  ],
  /** `loop ... end` that repeats while the decremented counter local is not zero. */
  countedLoop: (counterLocal: number, body: number[]) => [
    opcode.loop,
    blockTypeEmpty,
    ...body,
    ...instruction.localGet(counterLocal),
    ...instruction.i32Const(1),
    opcode.i32Sub,
    opcode.localTee,
    ...unsignedLeb128(counterLocal),
    opcode.brIf,
    0,
    opcode.end,
  ],
};

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb128(content.length), ...content];
}

function name(text: string): number[] {
  return [...unsignedLeb128(text.length), ...Buffer.from(text, 'ascii')];
}

export interface WasmFunction {
  name: string;
  /** Number of i32 parameters; locals are numbered after them. */
  params: number;
  i32Locals: number;
  v128Locals?: number;
  code: number[];
}

const valueTypeV128 = 0x7b;

/** A module exporting `memory` (`memoryPages` of 64 KiB) and the given functions. */
export function encodeModule(memoryPages: number, functions: WasmFunction[]): Uint8Array {
  const types = functions.flatMap((fn) => [
    functionType,
    ...unsignedLeb128(fn.params),
    ...Array.from({ length: fn.params }, () => valueTypeI32),
    0,
  ]);
  const bodies = functions.map((fn) => {
    const groups: number[][] = [[...unsignedLeb128(fn.i32Locals), valueTypeI32]];
    if (fn.v128Locals) groups.push([...unsignedLeb128(fn.v128Locals), valueTypeV128]);
    const body = [...unsignedLeb128(groups.length), ...groups.flat(), ...fn.code, opcode.end];
    return [...unsignedLeb128(body.length), ...body];
  });
  const exports = functions.flatMap((fn, i) => [...name(fn.name), 0, ...unsignedLeb128(i)]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...unsignedLeb128(functions.length), ...types]),
    ...section(3, [
      ...unsignedLeb128(functions.length),
      ...functions.flatMap((_, i) => unsignedLeb128(i)),
    ]),
    ...section(5, [1, 0, ...unsignedLeb128(memoryPages)]),
    ...section(7, [...unsignedLeb128(functions.length + 1), ...name('memory'), 2, 0, ...exports]),
    ...section(10, [...unsignedLeb128(functions.length), ...bodies.flat()]),
  ]);
}

interface WasmInstance {
  exports: Record<string, unknown>;
}

/**
 * The global `WebAssembly` object. The build compiles against the ES library alone (no DOM
 * types), so the few members used here are typed locally.
 */
export const webAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => WasmInstance;
      Memory: abstract new (...args: never[]) => { buffer: ArrayBuffer };
    };
  }
).WebAssembly;
