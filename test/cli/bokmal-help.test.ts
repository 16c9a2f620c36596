import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { addExitCodesToHelp, commandPath } from '../../src/cli/exit-codes.js';
import { commandModules, createProgram } from '../../src/cli/program.js';
import { runKeyhold } from '../support/cli.js';

/** A terminal set to Norwegian: the commands answer a person in Bokmål. */
const norsk = { env: { KEYHOLD_LANG: 'nb' } };
const english = { env: { KEYHOLD_LANG: 'en' } };

/** What a person reads about one command: its --help, and each described term in it. */
interface CommandHelp {
  path: string;
  help: string;
  /** [what is described, its description]: the command, its arguments, options, subcommands. */
  descriptions: [string, string][];
  subcommands: CommandHelp[];
}

/**
 * The whole command tree as the terminal's language words it, built the way `keyhold` builds
 * it, with help lines wide enough that no description is wrapped onto a line of its own.
 */
async function commandTree(language: 'en' | 'nb'): Promise<CommandHelp> {
  const saved = process.env.KEYHOLD_LANG;
  process.env.KEYHOLD_LANG = language;
  try {
    let written = '';
    const program = createProgram()
      .configureHelp({ helpWidth: 10_000 })
      .configureOutput({ writeOut: (text) => (written += text) });
    for (const load of Object.values(commandModules)) (await load())(program);
    addExitCodesToHelp(program);
    const describe = (command: Command): CommandHelp => {
      const helper = command.createHelp();
      written = '';
      command.outputHelp();
      return {
        path: `keyhold ${commandPath(command)}`.trim(),
        help: written,
        descriptions: [
          ['the command', command.description()],
          ...helper
            .visibleArguments(command)
            .map((argument): [string, string] => [argument.name(), argument.description]),
          ...helper
            .visibleOptions(command)
            .map((option): [string, string] => [option.flags, option.description]),
          ...helper
            .visibleCommands(command)
            .map((sub): [string, string] => [`command ${sub.name()}`, sub.description()]),
        ],
        subcommands: command.commands.map(describe),
      };
    };
    return describe(program);
  } finally {
    if (saved === undefined) delete process.env.KEYHOLD_LANG;
    else process.env.KEYHOLD_LANG = saved;
  }
}

/** The same command in both languages, for every command in the tree. */
function* pairs(en: CommandHelp, nb: CommandHelp): Generator<[CommandHelp, CommandHelp]> {
  yield [en, nb];
  assert.equal(nb.subcommands.length, en.subcommands.length, `${en.path}: subcommands differ`);
  for (const [index, sub] of en.subcommands.entries()) {
    const other = nb.subcommands[index];
    assert.ok(other);
    yield* pairs(sub, other);
  }
}

/** A --help with each description that commander wrapped onto further lines joined again. */
async function helpOf(args: string[]): Promise<string> {
  const result = await runKeyhold(args, norsk);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.replace(/\n {10,}/g, ' ');
}

/** Lines that read the same in both languages: blank ones and the example command lines. */
const sameInBothLanguages = /^$|^ {2}(sudo )?keyhold |^ {2}manage-bde |^ {4}--/;

describe('keyhold --help in Bokmål', () => {
  it("words the overview, its headings and commander's own options in Bokmål", async () => {
    const help = await runKeyhold(['--help'], norsk);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Bruk: keyhold \[options\] \[command\]\n/);
    assert.match(
      help.stdout,
      /\nValg:\n {2}-V, --version +vis versjonsnummeret\n {2}-h, --help +vis hjelp for kommandoen\n/,
    );
    assert.match(
      help.stdout,
      /\nKommandoer:\n {2}serve \[options\] +Kjør Keyhold-serveren og nettappen\n/,
    );
    assert.match(help.stdout, /\n {2}help \[command\] +vis hjelp for kommandoen\n/);
    assert.match(help.stdout, /\nAvslutningskoder: 0 vellykket, 1 nektende svar/);
    assert.doesNotMatch(help.stdout, /Usage:|Options:|Commands:|display help/);

    const inEnglish = await runKeyhold(['--help'], english);
    assert.match(inEnglish.stdout, /^Usage: keyhold \[options\] \[command\]\n/);
    assert.match(inEnglish.stdout, /\n {2}-h, --help +display help for command\n/);
  });

  it("words a command's arguments, options, examples and exit codes in Bokmål (unlock)", async () => {
    const help = await helpOf(['unlock', '--help']);
    assert.match(
      help,
      /^Bruk: keyhold unlock \[options\] <image\|device>\n\nDekrypter et BitLocker-volum/,
    );
    assert.match(
      help,
      /\nArgumenter:\n {2}image\|device +en bildefil av et volum eller en blokkenhet \(åpnes skrivebeskyttet\)\n/,
    );
    assert.match(
      help,
      /\n {2}--out <file\|-> +hvor det dekrypterte volumet skal skrives; "-" er standard ut\n/,
    );
    assert.match(help, /\nEksempler:\n {2}keyhold unlock disk\.img --recovery-password /);
    assert.match(
      help,
      /\nAvslutningskoder:\n(.*\n)* {2}130 avbrutt med Ctrl-C \(ingenting blir liggende igjen\)/,
    );
  });

  it('words admin and its nested commands in Bokmål, defaults included', async () => {
    const admin = await helpOf(['admin', '--help']);
    assert.match(
      admin,
      /\n {2}restore \[options\] <file> +Gjenopprett en sikkerhetskopi i en tom datamappe/,
    );

    const restore = await helpOf(['admin', 'restore', '--help']);
    assert.match(restore, /^Bruk: keyhold admin restore \[options\] <file>\n/);
    assert.match(
      restore,
      /\n {2}--master-key-file <file> +hovednøkkelfilen \(KEYHOLD_MASTER_KEY_FILE\)\n/,
    );
    assert.match(
      restore,
      /\nKontrollerer sjekksummen, hovednøkkelen mot hver forseglede hemmelighet/,
    );

    const find = await helpOf(['help', 'find']);
    assert.match(find, /\n {2}--depth <levels> +antall mappenivåer .*\(standard: "4"\)\n/);
  });
});

describe('keyhold answers a command line it cannot use in Bokmål', () => {
  it('names an unknown option, with the suggestion, and ends with 2 as in English', async () => {
    const result = await runKeyhold(['key', 'generate', '--jsn'], norsk);
    assert.equal(
      result.stderr,
      "feil: ukjent valg '--jsn'\n(Mente du --json?)\n(kjør med --help for å se bruken)\n",
    );
    assert.equal(result.code, 2);
    const inEnglish = await runKeyhold(['key', 'generate', '--jsn'], english);
    assert.equal(
      inEnglish.stderr,
      "error: unknown option '--jsn'\n(Did you mean --json?)\n(run with --help for usage)\n",
    );
    assert.equal(inEnglish.code, result.code);
  });

  it('names a missing argument and a missing required option, ending with 2 as in English', async () => {
    const noVolume = await runKeyhold(['inspect'], norsk);
    assert.equal(
      noVolume.stderr,
      "feil: argumentet 'image|device' mangler\n(kjør med --help for å se bruken)\n",
    );
    assert.equal(noVolume.code, 2);
    assert.equal((await runKeyhold(['inspect'], english)).code, 2);

    const noId = await runKeyhold(['key', 'file', '--password', '-'], norsk);
    assert.match(noId.stderr, /^feil: valget '--id <guid>' må oppgis\n/);
    assert.equal(noId.code, 2);

    const noValue = await runKeyhold(['key', 'file', '--id'], norsk);
    assert.match(noValue.stderr, /^feil: valget '--id <guid>' mangler verdien sin\n/);
    assert.equal(noValue.code, 2);
  });

  it('names an unknown command and too many arguments', async () => {
    const misspelt = await runKeyhold(['key', 'chek'], norsk);
    assert.match(misspelt.stderr, /^feil: ukjent kommando 'chek'\n\(Mente du check\?\)\n/);
    assert.equal(misspelt.code, 2);
    const twice = await runKeyhold(['inspect', 'a.img', 'b.img'], norsk);
    assert.match(
      twice.stderr,
      /^feil: for mange argumenter til 'inspect'\. Ventet 1 argument, men fikk 2\.\n/,
    );
    assert.equal(twice.code, 2);
  });
});

describe('every command line text has a Bokmål of its own', () => {
  it('describes every command, argument and option in Bokmål, differently from the English', async () => {
    // One after the other: each sets the language the texts are worded in while it builds.
    const en = await commandTree('en');
    const nb = await commandTree('nb');
    for (const [english, bokmal] of pairs(en, nb)) {
      assert.deepEqual(
        bokmal.descriptions.map(([term]) => term),
        english.descriptions.map(([term]) => term),
        english.path,
      );
      for (const [index, [term, text]] of english.descriptions.entries()) {
        const translated = bokmal.descriptions[index]?.[1] ?? '';
        assert.ok(text.trim() !== '', `${english.path}: ${term} has no English description`);
        assert.ok(translated.trim() !== '', `${english.path}: ${term} has no Bokmål description`);
        assert.notEqual(translated, text, `${english.path}: ${term} is described only in English`);
      }
    }
  });

  it('leaves no line of any --help in English, apart from the example command lines', async () => {
    // One after the other: each sets the language the texts are worded in while it builds.
    const en = await commandTree('en');
    const nb = await commandTree('nb');
    for (const [english, bokmal] of pairs(en, nb)) {
      const englishLines = new Set(english.help.split('\n'));
      const untranslated = bokmal.help
        .split('\n')
        .filter((line) => englishLines.has(line) && !sameInBothLanguages.test(line));
      assert.deepEqual(untranslated, [], `${english.path} --help`);
    }
  });
});
