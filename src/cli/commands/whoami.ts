import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { WhoamiFlags } from '../account/login.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

export function registerWhoami(program: Command): void {
  const whoami = program
    .command('whoami')
    .description(
      say({
        en: 'Show the accounts this computer is logged in to, checked with each server',
        nb: 'Vis kontoene denne datamaskinen er logget på, kontrollert mot hver server',
      }),
    )
    .option('--account <name>', say({ en: 'only this login', nb: 'bare denne påloggingen' }))
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '[{"name","server","email","displayName","valid","tokenExpiresAt"?,"problem"?}]',
        ),
      ),
    );
  addHelpAfter(whoami, {
    examples: ['keyhold whoami', 'keyhold whoami --account work --json'],
  }).action(async (flags: WhoamiFlags) => {
    const { runWhoami } = await import('../account/login.js');
    await runWhoami(flags);
  });
}
