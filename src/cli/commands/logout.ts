import type { Command } from 'commander';
import type { LogoutFlags } from '../account/login.js';

export function registerLogout(program: Command): void {
  program
    .command('logout')
    .description("Revoke this computer's token on the server and forget it here")
    .option('--account <name>', 'the login to end (keyhold whoami lists them)')
    .option('--all', 'end every login on this computer')
    .option('--json', 'print {"loggedOut":[{"name","server","revoked"}]}')
    .addHelpText(
      'after',
      `
When the server cannot be reached the login is still forgotten here, and the message says to
revoke the token under Security in the web app.

Examples:
  keyhold logout
  keyhold logout --account work
  keyhold logout --all`,
    )
    .action(async (flags: LogoutFlags) => {
      const { runLogout } = await import('../account/login.js');
      await runLogout(flags);
    });
}
