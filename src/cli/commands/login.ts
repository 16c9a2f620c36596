import type { Command } from 'commander';
import type { LoginFlags } from '../account/login.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'Connect this computer to your account on a Keyhold server (approve it in the browser)',
    )
    .argument('<server-url>', 'the Keyhold server, e.g. https://keys.example.org')
    .option(
      '--account <name>',
      'a name for this login, to pick it later with --account (default: the email)',
    )
    .option(
      '--device-name <name>',
      'how this computer is listed in the web app (default: keyhold on <hostname>)',
    )
    .option(
      '--json',
      'print {"name","server","account":{"id","email","displayName"},"credentials"}',
    )
    .addHelpText(
      'after',
      `
Shows a short code and an address. Open the address in a browser where you are signed in to
the account (any device will do), check the code and approve. The token this computer gets can
only add, search, show and record backups of keys; it is stored in
$XDG_CONFIG_HOME/keyhold/credentials.json (~/.config/keyhold, or %APPDATA%\\keyhold on Windows),
readable by you only, and is listed under Security in the web app, where you can revoke it.
Log in to several servers or accounts by running login again; --account names each one.
Without a scheme (keys.example.org) https:// is used; a server on this computer without TLS
is reached with http://, e.g. http://127.0.0.1:8080.

Examples:
  keyhold login https://keys.example.org
  keyhold login https://keys.work.example --account work
  keyhold login http://localhost:8080`,
    )
    .action(async (server: string, flags: LoginFlags) => {
      const { runLogin } = await import('../account/login.js');
      await runLogin(server, flags);
    });
}
