import { CliError } from './output.js';

/** What a "-" argument may read: a secret, or a whole key file or tool output. */
export const stdinLimits = {
  /** A recovery password is 55 characters and a volume password rarely more than a line; 64 KiB is ample. */
  secret: { bytes: 64 * 1024, shown: '64 KiB', holds: 'a key or password', pipe: 'the secret' },
  /**
   * The most `keyhold read` takes from a key file or tool output (`maxTextSize` in
   * src/bitlocker/key-sources.ts, not imported so `key check -` stays light).
   */
  file: {
    bytes: 16 * 1024 * 1024,
    shown: '16 MiB',
    holds: 'any key file or tool output',
    pipe: 'the key file or tool output',
  },
} as const;

export type StdinLimit = (typeof stdinLimits)[keyof typeof stdinLimits];

/**
 * Everything on standard input, for arguments given as "-" (keeps secrets out of `ps`). Reading
 * stops at the limit: a file piped in by mistake (or an endless stream) is refused at once
 * instead of filling memory.
 */
export async function readStdin(limit: StdinLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit.bytes) {
      // Leaving the loop destroys the stream, so nothing more is read.
      throw new CliError(
        `Standard input holds more than ${limit.shown}, far more than ${limit.holds}. Pipe in only ${limit.pipe}.`,
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
