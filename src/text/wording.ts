/** The languages Keyhold words what a person reads in. */
export type Language = 'en' | 'nb';

/**
 * A text in every language Keyhold speaks; English is the one logs, `--json` and scripts see.
 * Pure code (src/bitlocker, src/backup) words its errors with it, so the command line and the
 * server can each show them in the person's language.
 */
export interface Wording {
  en: string;
  nb: string;
}

/** The parts one after another, each language's joined by a space; missing parts are left out. */
export function sentences(...parts: (Wording | undefined)[]): Wording {
  const present = parts.filter((part) => part !== undefined);
  return {
    en: present.map((part) => part.en).join(' '),
    nb: present.map((part) => part.nb).join(' '),
  };
}

/**
 * A whole number with its thousands grouped as each language writes them: 1,073,741,824 in
 * English, 1 073 741 824 (no-break spaces) in Bokmål. Not through Intl: its first use loads
 * ICU's locale data, about 15 ms that `keyhold unlock` would spend on its closing line.
 */
export function groupedDigits(value: number, language: Language): string {
  const separator = language === 'nb' ? '\u00a0' : ',';
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}
