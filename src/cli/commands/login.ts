import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { LoginFlags } from '../account/login.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

export function registerLogin(program: Command): void {
  const login = program
    .command('login')
    .description(
      say({
        en: 'Connect this computer to your account on a Keyhold server (approve it in the browser)',
        nb: 'Koble denne datamaskinen til kontoen din på en Keyhold-server (godkjenn det i nettleseren)',
      }),
    )
    .argument(
      '<server-url>',
      say({
        en: 'the Keyhold server, e.g. https://keys.example.org',
        nb: 'Keyhold-serveren, f.eks. https://keys.example.org',
      }),
    )
    .option(
      '--account <name>',
      say({
        en: 'a name for this login, to pick it later with --account (default: the email)',
        nb: 'et navn på denne påloggingen, for å velge den senere med --account (standard: e-postadressen)',
      }),
    )
    .option(
      '--device-name <name>',
      say({
        en: 'how this computer is listed in the web app (default: keyhold on <hostname>)',
        nb: 'hvordan denne datamaskinen vises i nettappen (standard: keyhold on <vertsnavn>)',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"name","server","account":{"id","email","displayName"},"credentials"}',
        ),
      ),
    );
  addHelpAfter(login, {
    about: {
      en: `Shows a short code and an address. Open the address in a browser where you are signed in to
the account (any device will do), check the code and approve. The token this computer gets can
only add, search, show and record backups of keys; it is stored in
$XDG_CONFIG_HOME/keyhold/credentials.json (~/.config/keyhold, or %APPDATA%\\keyhold on Windows),
readable by you only, and is listed under Security in the web app, where you can revoke it.
Log in to several servers or accounts by running login again; --account names each one.
Without a scheme (keys.example.org) https:// is used; a server on this computer without TLS
is reached with http://, e.g. http://127.0.0.1:8080.`,
      nb: `Viser en kort kode og en adresse. Åpne adressen i en nettleser der du er logget på kontoen
(hvilken som helst enhet), sjekk koden og godkjenn. Tokenet denne datamaskinen får, kan bare
legge til, søke etter, vise og registrere sikkerhetskopier av nøkler; det lagres i
$XDG_CONFIG_HOME/keyhold/credentials.json (~/.config/keyhold, eller %APPDATA%\\keyhold i Windows),
kan bare leses av deg, og vises under Sikkerhet i nettappen, der du kan tilbakekalle det.
Logg på flere servere eller kontoer ved å kjøre login på nytt; --account gir hver av dem et navn.
Uten skjema (keys.example.org) brukes https://; en server på denne datamaskinen uten TLS nås
med http://, f.eks. http://127.0.0.1:8080.`,
    },
    examples: [
      'keyhold login https://keys.example.org',
      'keyhold login https://keys.work.example --account work',
      'keyhold login http://localhost:8080',
    ],
  }).action(async (server: string, flags: LoginFlags) => {
    const { runLogin } = await import('../account/login.js');
    await runLogin(server, flags);
  });
}
