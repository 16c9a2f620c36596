import { BitLockerFormatError } from '../../bitlocker/errors.js';
import {
  bufferSource,
  keySources,
  readKeySource,
  type FoundKey,
} from '../../bitlocker/key-sources.js';
import { protectorTypeLabels } from '../../bitlocker/protector-id.js';
import {
  CliError,
  escapeForTerminal,
  ExitCode,
  printError,
  printJson,
  printLine,
  style,
} from '../output.js';
import { say } from '../../text/terminal-language.js';
import { keyMessages } from './messages.js';
import { withInputFile } from '../input-file.js';
import { readStdin, stdinLimits } from '../stdin.js';

async function readFileKeys(path: string): Promise<FoundKey[]> {
  if (path === '-') return readKeySource(bufferSource('-', await readStdin(stdinLimits.file)));
  return withInputFile(path, { pipeHint: keyMessages.pipeHint }, readKeySource);
}

function formatDescription(format: string): string {
  const source = keySources.find((candidate) => candidate.format === format);
  return source ? say(source.description) : format;
}

function printKeys(path: string, keys: FoundKey[]): void {
  const format = keys[0]?.format ?? '';
  const count = say(keyMessages.protectorCount(keys.length));
  printLine(`${style.bold(escapeForTerminal(path))}: ${formatDescription(format)}, ${count}`);
  for (const key of keys) {
    const parts = [key.protectorId, protectorTypeLabels[key.type]];
    if (key.volume) parts.push(say(keyMessages.volume(escapeForTerminal(key.volume))));
    if (key.recoveryPassword) parts.push(key.recoveryPassword);
    printLine(`  ${parts.join('  ')}`);
  }
}

export async function runRead(paths: string[], flags: { json?: boolean }): Promise<void> {
  const found: FoundKey[] = [];
  let exitCode: number = ExitCode.ok;
  for (const path of paths) {
    try {
      const keys = await readFileKeys(path);
      if (keys.length === 0) {
        printError(say(keyMessages.holdsNoProtectors(path)));
        exitCode = Math.max(exitCode, ExitCode.negative);
        continue;
      }
      found.push(...keys);
      if (!flags.json) printKeys(path, keys);
    } catch (error) {
      if (error instanceof CliError) {
        printError(error.message);
        exitCode = Math.max(exitCode, error.exitCode);
      } else if (error instanceof BitLockerFormatError) {
        printError(`${path}: ${say(error.wording)}`);
        exitCode = Math.max(exitCode, ExitCode.negative);
      } else {
        throw error;
      }
    }
  }
  if (flags.json) printJson(found);
  process.exitCode = exitCode;
}
