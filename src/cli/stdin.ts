import { say } from '../text/terminal-language.js';
import { inputMessages } from './input-messages.js';
import { CliError } from './output.js';

/** What a "-" argument may read: a secret, or a whole key file or tool output. */
export const stdinLimits = {
  /** A recovery password is 55 characters and a volume password rarely more than a line; 64 KiB is ample. */
  secret: { bytes: 64 * 1024, kind: 'secret' },
  /**
   * The most `keyhold read` takes from a key file or tool output (`maxTextSize` in
   * src/bitlocker/key-sources.ts, not imported so `key check -` stays light).
   */
  file: { bytes: 16 * 1024 * 1024, kind: 'file' },
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
      throw new CliError(say(inputMessages.stdinTooLarge(limit.kind)));
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
