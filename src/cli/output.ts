/**
 * Small shared helpers so every command prints, colours and fails the same way. Text someone
 * else chose (device names, drive labels, file names and contents, server answers) goes through
 * `escapeForTerminal` before it is printed for a person; `printJson` output stays exact JSON.
 */
import { say } from '../text/terminal-language.js';
import { escapeForTerminal } from '../text/unsafe-characters.js';

export { escapeForTerminal };

export const ExitCode = {
  ok: 0,
  /** The answer is "no": an invalid key, a key that does not open the volume, nothing found. */
  negative: 1,
  /** The input could not be used: bad arguments, unreadable files, unsupported volumes. */
  unusable: 2,
  /** Something outside Keyhold failed: network, server, disk. */
  environment: 3,
} as const;

/** A failure to report to the person, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.unusable,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR === '1') return true;
  return stream.isTTY;
}

function paint(code: number, text: string, stream: NodeJS.WriteStream): string {
  return useColour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const style = {
  bold: (text: string, stream = process.stdout) => paint(1, text, stream),
  dim: (text: string, stream = process.stdout) => paint(2, text, stream),
  red: (text: string, stream = process.stderr) => paint(31, text, stream),
  green: (text: string, stream = process.stdout) => paint(32, text, stream),
  yellow: (text: string, stream = process.stderr) => paint(33, text, stream),
};

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A message that may span lines, with anything else a terminal would act on escaped. */
function escapedLines(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}

/** Messages often quote a path or a server's answer, so they are escaped whole. */
export function printError(text: string): void {
  process.stderr.write(`${style.red(say({ en: 'error:', nb: 'feil:' }))} ${escapedLines(text)}\n`);
}

export function printWarning(text: string): void {
  process.stderr.write(
    `${style.yellow(say({ en: 'warning:', nb: 'advarsel:' }))} ${escapedLines(text)}\n`,
  );
}
