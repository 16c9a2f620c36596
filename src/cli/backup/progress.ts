import { spinner } from '@clack/prompts';
import { escapeForTerminal } from '../output.js';

/** A one-line activity indicator on standard error, shown only to a person at a terminal. */
export interface Progress {
  start(message: string): void;
  update(message: string): void;
  stop(message?: string): void;
}

const silent: Progress = {
  start: () => undefined,
  update: () => undefined,
  stop: () => undefined,
};

/**
 * A spinner on standard error when it is a terminal and the output is not JSON; otherwise
 * nothing, so logs and pipes get only the results.
 */
export function createProgress(options: { json?: boolean | undefined }): Progress {
  if (options.json || !process.stderr.isTTY) return silent;
  const indicator = spinner({ output: process.stderr, withGuide: false });
  let running = false;
  return {
    // Messages name drives, folders and accounts, so they are escaped like any printed name.
    start(message) {
      if (running) indicator.message(escapeForTerminal(message));
      else indicator.start(escapeForTerminal(message));
      running = true;
    },
    update(message) {
      if (running) indicator.message(escapeForTerminal(message));
    },
    stop(message) {
      if (!running) return;
      running = false;
      if (message === undefined) indicator.clear();
      else indicator.stop(escapeForTerminal(message));
    },
  };
}
