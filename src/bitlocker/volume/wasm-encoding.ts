/**
 * Just enough of the WebAssembly binary format to build one module with one exported function
 * that works on i32 locals and one page of linear memory.
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
} as const;

const blockTypeEmpty = 0x40;
const valueTypeI32 = 0x7f;
const functionType = 0x60;

export function unsignedLeb128(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return out;
}

export function signedLeb128(value: number): number[] {
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

/**
 * A module exporting `memory` (one 64 KiB page) and `run(i32)`: a function with `localCount`
 * i32 locals besides its parameter, whose body is `code`.
 */
export function encodeModule(localCount: number, code: number[]): Uint8Array {
  const body = [1, ...unsignedLeb128(localCount), valueTypeI32, ...code, opcode.end];
  const typeSection = section(1, [1, functionType, 1, valueTypeI32, 0]);
  const functionSection = section(3, [1, 0]);
  const memorySection = section(5, [1, 0, 1]);
  const exportSection = section(7, [2, ...name('memory'), 2, 0, ...name('run'), 0, 0]);
  const codeSection = section(10, [1, ...unsignedLeb128(body.length), ...body]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...typeSection,
    ...functionSection,
    ...memorySection,
    ...exportSection,
    ...codeSection,
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
