import { createRequire } from 'node:module';
import { BekFileError, readBekFile } from '../../bitlocker/bek-file.js';
import {
  describeRecoveryPasswordErrors,
  parseRecoveryPassword,
} from '../../bitlocker/recovery-password.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import type { VolumeSecret } from '../../bitlocker/volume/volume-keys.js';
import { say } from '../../text/terminal-language.js';
import { CliError } from '../output.js';
import { readStdin, stdinLimits } from '../stdin.js';
import { withInputFile } from '../input-file.js';
import { volumeMessages } from './messages.js';
import type { SecretFlags } from './secret-flags.js';

/** Startup key files are a few hundred bytes; a larger file is not one. */
const maxBekFileSize = 64 * 1024;

async function readBek(path: string): Promise<VolumeSecret> {
  const bytes = await withInputFile(path, { flag: '--bek' }, (source) =>
    source.read(0, maxBekFileSize),
  );
  try {
    const bek = readBekFile(bytes);
    return { kind: 'startup-key', keyId: bek.keyId, key: bek.key };
  } catch (error) {
    if (error instanceof BekFileError) throw new CliError(`${path}: ${say(error.wording)}`);
    throw error;
  }
}

/** Reads "-" from standard input, without the line break a shell or editor adds. */
async function valueOrStdin(value: string): Promise<string> {
  if (value !== '-') return value;
  return decodeText(await readStdin(stdinLimits.secret)).text.replace(/\r?\n$/, '');
}

/** The one secret the flags name, validated: a bad recovery password names its wrong block. */
export async function secretFromFlags(flags: SecretFlags): Promise<VolumeSecret> {
  const given = [
    flags.recoveryPassword !== undefined && '--recovery-password',
    flags.password !== undefined && '--password',
    flags.bek !== undefined && '--bek',
    flags.clearKey === true && '--clear-key',
  ].filter((name) => name !== false);
  if (given.length === 0) {
    throw new CliError(say(volumeMessages.noKeyGiven));
  }
  if (given.length > 1) {
    throw new CliError(say(volumeMessages.oneKeyAtATime(given)));
  }
  if (flags.recoveryPassword !== undefined) {
    const parsed = parseRecoveryPassword(await valueOrStdin(flags.recoveryPassword));
    if (!parsed.valid) {
      throw new CliError(
        say(volumeMessages.recoveryPasswordInvalid(describeRecoveryPasswordErrors(parsed.errors))),
      );
    }
    return { kind: 'recovery-password', password: parsed.normalized };
  }
  if (flags.password !== undefined) {
    const password = await valueOrStdin(flags.password);
    if (password === '') throw new CliError(say(volumeMessages.passwordEmpty));
    return { kind: 'password', password };
  }
  if (flags.bek !== undefined) return readBek(flags.bek);
  return { kind: 'clear-key' };
}

/**
 * The key stretch is one long WebAssembly loop that runs once per command. V8 would start it
 * in its baseline compiler, several times slower, while optimising in the background; asking
 * for optimised code up front makes a key check about a tenth of a second faster.
 */
export function compileWebAssemblyOptimized(): void {
  // node:v8 loads here rather than with this module: the native path never needs it, and
  // `keyhold verify` is timed against cryptsetup.
  const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString('--no-liftoff');
}
