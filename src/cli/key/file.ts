import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { ProtectorIdError, parseProtectorId } from '../../bitlocker/protector-id.js';
import {
  readRecoveryKeyFile,
  recoveryFileLanguages,
  writeRecoveryKeyFile,
  type RecoveryFileLanguage,
} from '../../bitlocker/recovery-file.js';
import {
  describeRecoveryPasswordErrors,
  parseRecoveryPassword,
} from '../../bitlocker/recovery-password.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { writeFileAtomically } from '../../files/atomic-file.js';
import type { Wording } from '../../text/wording.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode, printJson, printLine } from '../output.js';
import { readStdin, stdinLimits } from '../stdin.js';
import { keyMessages } from './messages.js';

export interface KeyFileFlags {
  id: string;
  password: string;
  out?: string;
  lang: string;
  force?: boolean;
  json?: boolean;
}

function isErrno(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/** Where the file goes: into --out when it is a folder, else --out is the file's own name. */
async function targetPath(out: string | undefined, fileName: string): Promise<string> {
  if (out === undefined) return fileName;
  const info = await stat(out).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (info?.isDirectory()) return join(out, fileName);
  if (out.endsWith('/') || out.endsWith(sep)) {
    await mkdir(out, { recursive: true });
    return join(out, fileName);
  }
  const folder = dirname(out);
  const folderInfo = await stat(folder).catch(() => undefined);
  if (!folderInfo?.isDirectory()) {
    throw new CliError(say(keyMessages.folderMissing(folder)));
  }
  return out;
}

/**
 * What an existing file at the target holds that differs from the key about to be written;
 * undefined when it already holds exactly that key.
 */
function differenceFrom(
  bytes: Buffer,
  protectorId: string,
  recoveryPassword: string,
): Wording | undefined {
  try {
    const keys = readRecoveryKeyFile(bytes);
    if (keys.length === 1 && keys[0]?.protectorId === protectorId) {
      return keys[0].recoveryPassword === recoveryPassword
        ? undefined
        : keyMessages.holdsOtherPassword;
    }
    return keyMessages.holdsOtherProtector(keys.map((key) => key.protectorId).join(', '));
  } catch {
    return keyMessages.holdsNoKeyFile;
  }
}

export async function runKeyFile(flags: KeyFileFlags): Promise<void> {
  if (!recoveryFileLanguages.includes(flags.lang as RecoveryFileLanguage)) {
    throw new CliError(say(keyMessages.badLanguage(recoveryFileLanguages.join(', '), flags.lang)));
  }
  const language = flags.lang as RecoveryFileLanguage;
  let protectorId: string;
  try {
    protectorId = parseProtectorId(flags.id);
  } catch (error) {
    if (error instanceof ProtectorIdError) throw new CliError(`--id: ${say(error.wording)}`);
    throw error;
  }
  const password = parseRecoveryPassword(
    flags.password === '-' ? decodeText(await readStdin(stdinLimits.secret)).text : flags.password,
  );
  if (!password.valid) {
    throw new CliError(
      say(keyMessages.badPassword(describeRecoveryPasswordErrors(password.errors))),
    );
  }
  const { fileName, bytes } = writeRecoveryKeyFile({
    protectorId,
    recoveryPassword: password.normalized,
    language,
  });
  const path = await targetPath(flags.out, fileName);
  const existing = await readFile(path).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return undefined;
    if (isErrno(error, 'EISDIR')) return Buffer.alloc(0);
    throw error;
  });
  const difference = existing && differenceFrom(existing, protectorId, password.normalized);
  if (difference !== undefined && !flags.force) {
    throw new CliError(say(keyMessages.targetExists(path, difference)));
  }
  const written = existing === undefined || difference !== undefined;
  if (written) {
    try {
      await writeFileAtomically(path, bytes, { replace: existing !== undefined });
    } catch (error) {
      if (isErrno(error, 'EEXIST')) {
        throw new CliError(say(keyMessages.appearedWhileWriting(path)));
      }
      if (error instanceof Error && 'code' in error) {
        throw new CliError(
          say(keyMessages.couldNotWrite(path, error.message)),
          ExitCode.environment,
        );
      }
      throw error;
    }
  }
  if (flags.json) {
    printJson({ path, protectorId, language, written });
  } else if (written) {
    printLine(say(keyMessages.wrote(path)));
  } else {
    printLine(say(keyMessages.alreadyHolds(path)));
  }
}
