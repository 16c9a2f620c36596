import { CommanderError } from 'commander';
import { addExitCodesToHelp } from './exit-codes.js';
import { say } from '../text/terminal-language.js';
import type { Wording } from '../text/wording.js';
import { inputMessages } from './input-messages.js';
import { CliError, ExitCode, printError } from './output.js';
import { commandModules, createProgram } from './program.js';

// A reader that stops early (`keyhold read x | head`) closes the pipe; that is not an error.
// Output redirected to a full disk (`keyhold unlock ... --out - > file`) is one, said in one
// line as a failed write to a file is, not as a crash.
function onOutputError(name: 'stdout' | 'stderr') {
  return (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.ok);
    if (name !== 'stdout') throw error;
    printError(say(inputMessages.stdoutFailed(error.code ?? error.message)));
    process.exit(ExitCode.environment);
  };
}
// Node makes process.stdout and process.stderr when first asked for them, and making one for a
// pipe or a terminal loads its network modules: a few milliseconds, which `keyhold verify`
// (timed against cryptsetup) spends on standard error only when something goes wrong. So each
// gets the handler when it is first asked for, not here.
for (const name of ['stdout', 'stderr'] as const) {
  // Node's own getter, called below with process as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const make = Object.getOwnPropertyDescriptor(process, name)?.get;
  if (!make) {
    process[name].on('error', onOutputError(name));
    continue;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: true,
    get() {
      const stream = make.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, {
        configurable: true,
        enumerable: true,
        get: () => stream,
      });
      stream.on('error', onOutputError(name));
      return stream;
    },
  });
}

// Every command module only declares its flags; the work (and its heavy imports) is loaded
// inside the action, so `keyhold key check` never pays for the server or the PDF writer.
const program = createProgram();

// `keyhold help verify`, `keyhold --help`, a misspelt command (which gets suggestions) and
// everything else that does not start with a command's name register them all.
const named = process.argv[2];
const onlyNamed = named !== undefined && Object.hasOwn(commandModules, named);
const loaders = Object.entries(commandModules)
  .filter(([name]) => !onlyNamed || name === named)
  .map(([, load]) => load());
for (const register of await Promise.all(loaders)) register(program);
addExitCodesToHelp(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.unusable;
  } else if (error instanceof CliError) {
    printError(error.message);
    process.exitCode = error.exitCode;
  } else if (error instanceof Error && error.name === 'ConfigError') {
    // Matched by name: importing the server's configuration here would load it for every command.
    printError(say((error as Error & { wording: Wording }).wording));
    process.exitCode = ExitCode.unusable;
  } else {
    throw error;
  }
}
