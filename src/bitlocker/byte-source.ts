/**
 * Random access to the bytes of a file, device or buffer: the only input the format code needs.
 * The caller owns the I/O, so `src/bitlocker` never opens anything itself.
 */
export interface ByteSource {
  /** How the person named it (a path, "-", an upload's file name); found keys quote it. */
  readonly name: string;
  /** Total size in bytes, when known (a block device may not say). */
  readonly size: number | undefined;
  /** Reads `length` bytes at `offset`; fewer only where the source ends. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads into `target` at `offset` and resolves to the byte count (fewer only where
   * the source ends). Streaming a whole volume uses it to reuse one buffer for every read.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
}

/** A source whose size is known: files and bytes in memory, which is all that key files are. */
export type SizedByteSource = ByteSource & { readonly size: number };
