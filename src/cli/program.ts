/**
 * The `keyhold` command itself: its name, version and overview, and commander set up to speak
 * the terminal's language in every --help and in its answers to a command line it cannot use.
 * Each command's own texts are declared beside the command, in src/cli/commands.
 */
import { Command, Help, type ErrorOptions, type Option } from 'commander';
import type { Wording } from '../text/wording.js';
import { say } from '../text/terminal-language.js';
import { commandLineMessages } from './command-line-messages.js';

/** Commander's headings, as it passes them to `styleTitle`. */
const headings: Readonly<Record<string, Wording>> = {
  'Usage:': commandLineMessages.usageHeading,
  'Arguments:': commandLineMessages.argumentsHeading,
  'Options:': commandLineMessages.optionsHeading,
  'Commands:': commandLineMessages.commandsHeading,
};

/** Commander builds its help from fixed English headings; each passes through here on its way out. */
class KeyholdHelp extends Help {
  override styleTitle(title: string): string {
    const heading = headings[title];
    return heading ? say(heading) : title;
  }

  /** Commander appends "(default: ...)" to an option's description; only the label is its own. */
  override optionDescription(option: Option): string {
    return super
      .optionDescription(option)
      .replace(
        `(${commandLineMessages.defaultLabel.en} `,
        `(${say(commandLineMessages.defaultLabel)} `,
      );
  }
}

/**
 * The wording of commander's own error message, from its error code and the name it quotes
 * (the option, command or argument). Undefined for the errors Keyhold's commands cannot cause
 * (they declare no choices, conflicting options or argument parsers): such a message would be
 * shown as commander wrote it.
 */
function parserErrorWording(code: string | undefined, line: string): Wording | undefined {
  const named = /'([^']*)'/.exec(line)?.[1];
  if (named === undefined) return undefined;
  switch (code) {
    case 'commander.unknownOption':
      return commandLineMessages.unknownOption(named);
    case 'commander.unknownCommand':
      return commandLineMessages.unknownCommand(named);
    case 'commander.missingArgument':
      return commandLineMessages.missingArgument(named);
    case 'commander.optionMissingArgument':
      return commandLineMessages.optionMissingArgument(named);
    case 'commander.missingMandatoryOptionValue':
      return commandLineMessages.missingMandatoryOption(named);
    case 'commander.excessArguments': {
      // Only a subcommand takes arguments, so commander names it ("for 'inspect'").
      const counts = /Expected (\d+) arguments? but got (\d+)/.exec(line);
      if (!counts) return undefined;
      return commandLineMessages.excessArguments(named, Number(counts[1]), Number(counts[2]));
    }
    default:
      return undefined;
  }
}

/** Commander's "(Did you mean ...?)" under an unknown option or command. */
function suggestionLine(line: string): string {
  const suggestion = /^\(Did you mean (one of )?(.*)\?\)$/.exec(line);
  if (!suggestion) return line;
  return say(commandLineMessages.didYouMean(suggestion[2] ?? '', suggestion[1] !== undefined));
}

/**
 * A command whose parser errors read in the terminal's language. Commander makes every
 * subcommand with `createCommand`, so the whole tree is of this kind; exit codes and error
 * codes stay commander's.
 */
class KeyholdCommand extends Command {
  override createCommand(name?: string): Command {
    return new KeyholdCommand(name);
  }

  override createHelp(): Help {
    return Object.assign(new KeyholdHelp(), this.configureHelp());
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const [first = '', ...rest] = message.split('\n');
    const wording = parserErrorWording(errorOptions?.code, first);
    const worded = wording ? [say(wording), ...rest.map(suggestionLine)].join('\n') : message;
    return super.error(worded, errorOptions);
  }
}

/**
 * Each top-level command's module, in the order `keyhold --help` lists them. A run that names
 * one of them loads only that module, so `keyhold verify` does not pay for the other twelve.
 */
export const commandModules: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
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

/**
 * The program before its commands are registered. Its help and output settings are what every
 * command registered afterwards inherits, so they are all made here.
 */
export function createProgram(): Command {
  return new KeyholdCommand()
    .name('keyhold')
    .description(
      say({
        en: 'Keep BitLocker recovery keys safe, findable and proven to work.',
        nb: 'Oppbevar BitLocker-gjenopprettingsnøkler trygt, lett å finne og med bevis på at de virker.',
      }),
    )
    .version('0.1.0', '-V, --version', say(commandLineMessages.outputVersion))
    .helpOption('-h, --help', say(commandLineMessages.displayHelp))
    .helpCommand('help [command]', say(commandLineMessages.displayHelp))
    .showHelpAfterError(say(commandLineMessages.runWithHelp))
    .exitOverride()
    .addHelpText(
      'after',
      say({
        en: `
Exit codes: 0 success, 1 negative answer (invalid key, key does not open the volume, nothing
found), 2 unusable input, 3 a server, network or disk failure. Each command's --help lists
the codes it can end with and what they mean there.`,
        nb: `
Avslutningskoder: 0 vellykket, 1 nektende svar (ugyldig nøkkel, nøkkelen låser ikke opp
volumet, ingenting funnet), 2 ubrukelig inndata, 3 feil på en server, i nettverket eller på
en disk. Hver kommandos --help viser kodene den kan avslutte med, og hva de betyr der.`,
      }),
    );
}
