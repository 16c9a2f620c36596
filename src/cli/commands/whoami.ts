import type { Command } from 'commander';

export interface WhoamiFlags {
  account?: string;
  json?: boolean;
}

export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('Show the accounts this computer is logged in to, checked with each server')
    .option('--account <name>', 'only this login')
    .option(
      '--json',
      'print [{"name","server","email","displayName","valid","tokenExpiresAt"?,"problem"?}]',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 every login works, 1 not logged in or a login no longer works (revoked or
expired), 3 a server could not be reached.

Examples:
  keyhold whoami
  keyhold whoami --account work --json`,
    )
    .action(async (flags: WhoamiFlags) => {
      const { runWhoami } = await import('../account/login.js');
      await runWhoami(flags);
    });
}
