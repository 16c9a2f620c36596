import type { Language, Wording } from './wording.js';

/**
 * The language of the person's terminal: KEYHOLD_LANG when set, else the POSIX locale variables
 * in their order of precedence (LC_ALL, then LC_MESSAGES, then LANG; the first one set decides).
 * Norwegian in any written form (nb, no, nn) gets Bokmål, as in the app; anything else, and C or
 * POSIX, English.
 */
export function terminalLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale =
    [env.KEYHOLD_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value) ?? '';
  return /^(nb|no|nn)([_.@-]|$)/i.test(locale) ? 'nb' : 'en';
}

/** The wording of a message in the terminal's language (see `terminalLanguage`). */
export function say(wording: Readonly<Wording>, env: NodeJS.ProcessEnv = process.env): string {
  return wording[terminalLanguage(env)];
}
