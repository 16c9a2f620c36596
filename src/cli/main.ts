import { Command, CommanderError } from 'commander';
import { addExitCodesToHelp } from './exit-codes.js';
import { say } from '../text/terminal-language.js';
import { inputMessages } from './input-messages.js';
import { CliError, ExitCode, printError } from './output.js';

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
const program = new Command()
  .name('keyhold')
  .description('Keep BitLocker recovery keys safe, findable and proven to work.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/**
 * Each top-level command's module, in the order `keyhold --help` lists them. A run that names
 * one of them loads only that module, so `keyhold verify` does not pay for the other twelve.
 */
const commands: Record<string, () => Promise<(program: Command) => void>> = {
  serve: async () => (await import('./commands/serve.js')).registerServe,
  admin: async () => (await import('./commands/admin.js')).registerAdmin,
  key: async () => (await import('./commands/key.js')).registerKey,
  read: async () => (await import('./commands/read.js')).registerRead,
  backup: async () => (await import('./commands/backup.js')).registerBackup,
  find: async () => (await import('./commands/find.js')).registerFind,
  login: async () => (await import('./commands/login.js')).registerLogin,
  logout: async () => (await import('./commands/logout.js')).registerLogout,
  whoami: async () => (await import('./commands/whoami.js')).registerWhoami,
  inspect: async () => (await import('./commands/inspect.js')).registerInspect,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  unlock: async () => (await import('./commands/unlock.js')).registerUnlock,
  agent: async () => (await import('./commands/agent.js')).registerAgent,
};

// `keyhold help verify`, `keyhold --help`, a misspelt command (which gets suggestions) and
// everything else that does not start with a command's name register them all.
const named = process.argv[2];
const onlyNamed = named !== undefined && Object.hasOwn(commands, named);
const loaders = Object.entries(commands)
  .filter(([name]) => !onlyNamed || name === named)
  .map(([, load]) => load());
for (const register of await Promise.all(loaders)) register(program);
addExitCodesToHelp(program);

program.addHelpText(
  'after',
  `
Exit codes: 0 success, 1 negative answer (invalid key, key does not open the volume, nothing
found), 2 unusable input, 3 a server, network or disk failure. Each command's --help lists
the codes it can end with and what they mean there.`,
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.unusable;
  } else if (error instanceof CliError) {
    printError(error.message);
    process.exitCode = error.exitCode;
  } else if (error instanceof Error && error.name === 'ConfigError') {
    printError(error.message);
    process.exitCode = ExitCode.unusable;
  } else {
    throw error;
  }
}
