/**
 * The recovery passphrase Keyhold puts in a LUKS key slot: 40 decimal digits in 8 groups of 5
 * joined by dashes (e.g. 03917-55120-...), about 132.9 bits. Digits because a recovery prompt
 * at boot may run with a keyboard layout the person does not expect, and digits sit on the
 * same keys in nearly every layout; groups of 5 because they are easy to read out and check.
 * The slot holds the text exactly as printed, dashes included: what is on the paper is what is
 * typed.
 */

export const luksPassphraseGroups = 8;
export const luksPassphraseGroupDigits = 5;

const passphrasePattern = /^\d{5}(?:-\d{5}){7}$/;

/** The passphrase in the form the key slot holds, or undefined when the text is not one. */
export function parseLuksRecoveryPassphrase(text: string): string | undefined {
  const digits = text.replace(/[\s-]/g, '');
  if (!/^\d{40}$/.test(digits)) return undefined;
  const grouped = digits.match(/\d{5}/g)?.join('-') ?? '';
  return passphrasePattern.test(grouped) ? grouped : undefined;
}

/** Formats one number below 10^5 per group (from a uniform random source) as a passphrase. */
export function luksPassphraseFromGroups(groups: number[]): string {
  if (
    groups.length !== luksPassphraseGroups ||
    groups.some((group) => !Number.isInteger(group) || group < 0 || group >= 100_000)
  ) {
    throw new RangeError('a LUKS recovery passphrase is 8 groups of 0-99999');
  }
  return groups.map((group) => String(group).padStart(luksPassphraseGroupDigits, '0')).join('-');
}
