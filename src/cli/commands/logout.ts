import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { LogoutFlags } from '../account/login.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

export function registerLogout(program: Command): void {
  const logout = program
    .command('logout')
    .description(
      say({
        en: "Revoke this computer's token on the server and forget it here",
        nb: 'Tilbakekall tokenet til denne datamaskinen på serveren og glem det her',
      }),
    )
    .option(
      '--account <name>',
      say({
        en: 'the login to end (keyhold whoami lists them)',
        nb: 'påloggingen som skal avsluttes (keyhold whoami viser dem)',
      }),
    )
    .option(
      '--all',
      say({
        en: 'end every login on this computer',
        nb: 'avslutt alle påloggingene på denne datamaskinen',
      }),
    )
    .option(
      '--json',
      say(commandLineMessages.printJson('{"loggedOut":[{"name","server","revoked"}]}')),
    );
  addHelpAfter(logout, {
    about: {
      en: `When the server cannot be reached the login is still forgotten here, and the message says to
revoke the token under Security in the web app.`,
      nb: `Når serveren ikke kan nås, glemmes påloggingen likevel her, og meldingen ber deg tilbakekalle
tokenet under Sikkerhet i nettappen.`,
    },
    examples: ['keyhold logout', 'keyhold logout --account work', 'keyhold logout --all'],
  }).action(async (flags: LogoutFlags) => {
    const { runLogout } = await import('../account/login.js');
    await runLogout(flags);
  });
}
