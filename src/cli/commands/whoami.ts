import type { Command } from 'commander';
import type { WhoamiFlags } from '../account/login.js';

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
Examples:
  keyhold whoami
  keyhold whoami --account work --json`,
    )
    .action(async (flags: WhoamiFlags) => {
      const { runWhoami } = await import('../account/login.js');
      await runWhoami(flags);
    });
}
