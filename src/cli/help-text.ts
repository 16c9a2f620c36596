import type { Command } from 'commander';
import type { Wording } from '../text/wording.js';
import { say } from '../text/terminal-language.js';
import { commandLineMessages } from './command-line-messages.js';

/** What a command's --help says after commander's lists. */
export interface HelpAfter {
  /** What to know beyond the flags, in both languages. */
  about?: Wording;
  /** Command lines, the same in both languages; a line that continues one starts with two spaces. */
  examples?: readonly string[];
}

/** Adds the explanation and the examples to the end of a command's --help. */
export function addHelpAfter(command: Command, { about, examples }: HelpAfter): Command {
  const parts: string[] = [];
  if (about) parts.push(say(about));
  if (examples) {
    const lines = examples.map((line) => `  ${line}`);
    parts.push([say(commandLineMessages.examplesHeading), ...lines].join('\n'));
  }
  return command.addHelpText('after', `\n${parts.join('\n\n')}`);
}
