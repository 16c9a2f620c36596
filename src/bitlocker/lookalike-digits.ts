import type { Wording } from '../text/wording.js';
import { bitLockerMessages } from './messages.js';

/**
 * Letters people type in place of the digits they resemble. Recovery screens and printed keys
 * use fonts where O and 0, and I, l and 1, are hard to tell apart, and a Key ID (hex: 0-9, A-F)
 * or a recovery password (digits only) never holds any of these letters.
 */
export interface Lookalike {
  /** The letter as typed. */
  letter: string;
  /** The digit it stands in for. */
  digit: '0' | '1';
}

const digitFor: Record<string, '0' | '1'> = {
  O: '0',
  o: '0',
  I: '1',
  i: '1',
  l: '1',
};

function distinct(letters: Iterable<string>): Lookalike[] {
  const seen = new Set<string>();
  const found: Lookalike[] = [];
  for (const letter of letters) {
    const digit = digitFor[letter];
    if (digit === undefined || seen.has(letter)) continue;
    seen.add(letter);
    found.push({ letter, digit });
  }
  return found;
}

/** The look-alike letters in something typed as a Key ID, each once, in the order typed. */
export function keyIdLookalikes(input: string): Lookalike[] {
  return distinct(input);
}

/**
 * The look-alike letters typed among the digits of a recovery password ("O13365", "2358I8").
 * Only groups of digits and look-alikes that hold at least one digit count: a recovery password
 * is often pasted with words around it ("Recovery key:"), whose letters are not typos.
 */
export function recoveryPasswordLookalikes(input: string): Lookalike[] {
  const groups = input.match(/[0-9OoIil]+/g) ?? [];
  return distinct(
    groups
      .filter((group) => /[0-9]/.test(group) && /[OoIil]/.test(group))
      .filter((group) => isWholeGroup(input, group))
      .join(''),
  );
}

/** True when the group is not part of a longer word ("Win10" is not a typo for "W1n10"). */
function isWholeGroup(input: string, group: string): boolean {
  let from = 0;
  for (;;) {
    const at = input.indexOf(group, from);
    if (at < 0) return false;
    const before = input[at - 1] ?? '';
    const after = input[at + group.length] ?? '';
    if (!/\p{L}/u.test(before) && !/\p{L}/u.test(after)) return true;
    from = at + 1;
  }
}

/**
 * One sentence naming the digits the letters should be, or undefined when there are none:
 * `The letter "O" should be the digit 0 (zero), and "l" the digit 1 (one).`
 */
export function describeLookalikes(found: readonly Lookalike[]): Wording | undefined {
  const zeros = found.filter((item) => item.digit === '0').map((item) => item.letter);
  const ones = found.filter((item) => item.digit === '1').map((item) => item.letter);
  if (zeros.length + ones.length === 0) return undefined;
  return bitLockerMessages.lookalikes(zeros, ones);
}
