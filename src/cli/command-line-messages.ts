import type { Wording } from '../text/wording.js';

/**
 * The words of the command-line parser (commander) that every `--help` shows, and its answers to
 * a command line it cannot use, in English and Bokmål (printed with `say`); also the words the
 * commands' own --help texts share. The English is commander's own, so scripts that match it
 * keep working. Flags, command names and argument names stay as typed in both languages.
 */
export const commandLineMessages = {
  // Headings of --help
  usageHeading: { en: 'Usage:', nb: 'Bruk:' },
  argumentsHeading: { en: 'Arguments:', nb: 'Argumenter:' },
  optionsHeading: { en: 'Options:', nb: 'Valg:' },
  commandsHeading: { en: 'Commands:', nb: 'Kommandoer:' },
  examplesHeading: { en: 'Examples:', nb: 'Eksempler:' },
  exitCodesHeading: { en: 'Exit codes:', nb: 'Avslutningskoder:' },

  // What commander adds to every command
  displayHelp: { en: 'display help for command', nb: 'vis hjelp for kommandoen' },
  outputVersion: { en: 'output the version number', nb: 'vis versjonsnummeret' },
  defaultLabel: { en: 'default:', nb: 'standard:' },
  runWithHelp: { en: '(run with --help for usage)', nb: '(kjør med --help for å se bruken)' },

  // Shared by the commands' own --help
  printJson: (shape: string): Wording => ({ en: `print ${shape}`, nb: `skriv ut ${shape}` }),

  // A command line that cannot be used
  unknownOption: (flag: string): Wording => ({
    en: `error: unknown option '${flag}'`,
    nb: `feil: ukjent valg '${flag}'`,
  }),
  unknownCommand: (name: string): Wording => ({
    en: `error: unknown command '${name}'`,
    nb: `feil: ukjent kommando '${name}'`,
  }),
  missingArgument: (name: string): Wording => ({
    en: `error: missing required argument '${name}'`,
    nb: `feil: argumentet '${name}' mangler`,
  }),
  optionMissingArgument: (flags: string): Wording => ({
    en: `error: option '${flags}' argument missing`,
    nb: `feil: valget '${flags}' mangler verdien sin`,
  }),
  missingMandatoryOption: (flags: string): Wording => ({
    en: `error: required option '${flags}' not specified`,
    nb: `feil: valget '${flags}' må oppgis`,
  }),
  excessArguments: (command: string, expected: number, got: number): Wording => ({
    en: `error: too many arguments for '${command}'. Expected ${expected} argument${expected === 1 ? '' : 's'} but got ${got}.`,
    nb: `feil: for mange argumenter til '${command}'. Ventet ${expected} ${expected === 1 ? 'argument' : 'argumenter'}, men fikk ${got}.`,
  }),
  didYouMean: (candidates: string, several: boolean): Wording => ({
    en: `(Did you mean ${several ? 'one of ' : ''}${candidates}?)`,
    nb: `(Mente du ${several ? 'en av ' : ''}${candidates}?)`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
