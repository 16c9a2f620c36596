import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.js';
import { registerAgent } from './commands/agent.js';
import { registerBackup } from './commands/backup.js';
import { registerFind } from './commands/find.js';
import { registerInspect } from './commands/inspect.js';
import { registerKey } from './commands/key.js';
import { registerLogin } from './commands/login.js';
import { registerLogout } from './commands/logout.js';
import { registerRead } from './commands/read.js';
import { registerServe } from './commands/serve.js';
import { registerUnlock } from './commands/unlock.js';
import { registerVerify } from './commands/verify.js';
import { registerWhoami } from './commands/whoami.js';
import { addExitCodesToHelp } from './exit-codes.js';
import { CliError, ExitCode, printError } from './output.js';

// A reader that stops early (`keyhold read x | head`) closes the pipe; that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
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

registerServe(program);
registerAdmin(program);
registerKey(program);
registerRead(program);
registerBackup(program);
registerFind(program);
registerLogin(program);
registerLogout(program);
registerWhoami(program);
registerInspect(program);
registerVerify(program);
registerUnlock(program);
registerAgent(program);
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
