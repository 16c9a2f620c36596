import {
  describeRecoveryPasswordErrors,
  parseRecoveryPassword,
} from '../../bitlocker/recovery-password.js';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { say } from '../../text/terminal-language.js';
import { escapeForTerminal, ExitCode, printJson, printLine, style } from '../output.js';
import { readStdin, stdinLimits } from '../stdin.js';
import { keyMessages } from './messages.js';

export interface KeyCheckFlags {
  json?: boolean;
}

async function passwordArgument(words: string[]): Promise<string> {
  return words.length === 1 && words[0] === '-'
    ? decodeText(await readStdin(stdinLimits.secret)).text
    : words.join(' ');
}

export async function runKeyCheck(words: string[], flags: KeyCheckFlags): Promise<void> {
  const result = parseRecoveryPassword(await passwordArgument(words));
  if (result.valid) {
    if (flags.json) {
      printJson({
        valid: true,
        normalized: result.normalized,
        keyHex: Buffer.from(result.key).toString('hex'),
      });
    } else {
      printLine(`${style.green(say(keyMessages.validLabel))} ${result.normalized}`);
    }
    return;
  }
  if (flags.json) {
    // --json stays English: each bad block with its reason, as scripts already read it.
    printJson({
      valid: false,
      errors: result.errors.map(({ block, value, reason }) => ({ block, value, reason })),
    });
  }
  process.stderr.write(
    `${style.red(say(keyMessages.invalidLabel), process.stderr)} ${escapeForTerminal(say(describeRecoveryPasswordErrors(result.errors)))}\n`,
  );
  process.exitCode = ExitCode.negative;
}
