import { hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import type { Wording } from '../../messages.js';

export interface Argon2Cost {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/** The cost a stored hash was made with, from its PHC string; undefined if not argon2id. */
export function costOfHash(passwordHash: string): Argon2Cost | undefined {
  const match = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!match) return undefined;
  return {
    memoryKib: Number(match[1]),
    iterations: Number(match[2]),
    parallelism: Number(match[3]),
  };
}

/** Argon2 time grows with memory times passes, divided among the lanes computed in parallel. */
function work(cost: Argon2Cost): number {
  return (cost.memoryKib * cost.iterations) / cost.parallelism;
}

/** The least memory argon2 takes per lane. */
const minimumKibPerLane = 8;

/**
 * The extra verification that makes a wrong password checked against a cheaper, older hash take
 * as long as one checked at `current` (so timing tells neither whether an account exists nor how
 * old its hash is); undefined when the older hash costs about as much already.
 */
export function paddingCost(stored: Argon2Cost, current: Argon2Cost): Argon2Cost | undefined {
  const missing = work(current) - work(stored);
  if (missing <= work(current) / 10) return undefined;
  const memoryKib = Math.round((missing * current.parallelism) / current.iterations);
  if (memoryKib < minimumKibPerLane * current.parallelism) return undefined;
  return { memoryKib, iterations: current.iterations, parallelism: current.parallelism };
}

export interface PasswordCheck {
  right: boolean;
  /** For a right password whose hash was made at another cost: the same password at today's. */
  upgradedHash?: string;
}

/**
 * Hashes and checks passwords with argon2id (the library's default algorithm; its enum is a
 * const enum that isolated modules cannot name) at the configured cost.
 */
export class PasswordHasher {
  /** Hashes of a fixed text at a given cost, verified against to spend that cost for nothing. */
  private readonly dummyHashes = new Map<string, Promise<string>>();

  constructor(private readonly cost: Argon2Cost) {}

  hash(password: string, cost: Argon2Cost = this.cost): Promise<string> {
    return hash(password, {
      memoryCost: cost.memoryKib,
      timeCost: cost.iterations,
      parallelism: cost.parallelism,
    });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Whether a stored hash was made at another cost (or algorithm) than the configured one. */
  isOutdated(passwordHash: string): boolean {
    const stored = costOfHash(passwordHash);
    return (
      stored?.memoryKib !== this.cost.memoryKib ||
      stored.iterations !== this.cost.iterations ||
      stored.parallelism !== this.cost.parallelism
    );
  }

  /**
   * Checks an account's password. A right one stored at an older cost comes back re-hashed at
   * today's (the only moment the password is at hand); a wrong one against a cheaper, older hash
   * spends the difference, so it costs what any other check costs.
   */
  async check(passwordHash: string, password: string): Promise<PasswordCheck> {
    const right = await this.verify(passwordHash, password);
    if (!this.isOutdated(passwordHash)) return { right };
    if (right) return { right, upgradedHash: await this.hash(password) };
    const stored = costOfHash(passwordHash);
    const padding = stored && paddingCost(stored, this.cost);
    if (padding) await this.verifyDummy(padding, password);
    return { right };
  }

  /** Makes the hash `verifyNothing` uses now, so the first unknown email costs no more. */
  warmUp(): void {
    this.dummyHash(this.cost).catch(() => {
      // A failure here shows again, and is reported, when the hash is first needed.
    });
  }

  /**
   * Spends the same time as checking a real password, for emails that have no account, so the
   * answer's timing does not tell whether an account exists.
   */
  async verifyNothing(password: string): Promise<false> {
    await this.verifyDummy(this.cost, password);
    return false;
  }

  private async verifyDummy(cost: Argon2Cost, password: string): Promise<void> {
    await this.verify(await this.dummyHash(cost), password);
  }

  private dummyHash(cost: Argon2Cost): Promise<string> {
    const name = `${cost.memoryKib},${cost.iterations},${cost.parallelism}`;
    let dummy = this.dummyHashes.get(name);
    if (!dummy) {
      dummy = this.hash('keyhold: no account has this email', cost);
      this.dummyHashes.set(name, dummy);
    }
    return dummy;
  }
}

export const passwordLimits = { minLength: 10, maxLength: 256 } as const;

/**
 * Passwords seen most often in breaches: about 49,000 of them, ranked, from the list
 * @zxcvbn-ts/language-common ships (English, Norwegian and many more languages among them).
 */
const breachedPasswords = new Set(dictionary['passwords-common']);

/** Words anyone guessing a Keyhold password tries first, whatever the lists say. */
const serviceWords = ['keyhold', 'bitlocker', 'recovery', 'recoverykey', 'recoverypassword'];

/** What people type for letters: `p@ssw0rd`, `$ummer`, `l3tm31n`. */
const leetLetters: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '!': 'i',
  '3': 'e',
  '4': 'a',
  '@': 'a',
  $: 's',
  '5': 's',
  '7': 't',
  '+': 't',
  '8': 'b',
  '9': 'g',
  '|': 'l',
};

let estimator: ZxcvbnFactory | undefined;

/** zxcvbn with the shipped breach list, word list and keyboard layouts; built on first use. */
function strengthEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return estimator;
}

/** zxcvbn's score from 0 to 4; 3 means about 10^8 guesses, far beyond any online guessing. */
const minimumScore = 3;

const keyboardRows = [
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  '1234567890',
  'qwertzuiop',
  'azertyuiop',
];

function isRunOrRepeat(text: string): boolean {
  if (new Set(text).size <= 3) return true;
  const sequences = [
    '0123456789abcdefghijklmnopqrstuvwxyz',
    'zyxwvutsrqponmlkjihgfedcba9876543210',
    ...keyboardRows,
  ];
  if (sequences.some((sequence) => sequence.includes(text))) return true;
  // The same short chunk over and over: "abcabcabcabc", "12341234".
  for (let size = 1; size <= text.length / 2; size += 1) {
    const chunk = text.slice(0, size);
    if (chunk.repeat(Math.ceil(text.length / size)).startsWith(text)) return true;
  }
  return false;
}

/** Lower case, compatibility forms folded, without the spaces and dots people put between words. */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\-_.]/g, '');
}

/** Without the digits and punctuation people add before or after a word: `summer2025!!`. */
function core(text: string): string {
  return text.replace(/^[\p{N}\p{P}\p{S}]+|[\p{N}\p{P}\p{S}]+$/gu, '');
}

function unleet(text: string, one: 'i' | 'l'): string {
  return text.replace(/[0-9!@$+|]/g, (c) => (c === '1' ? one : (leetLetters[c] ?? c)));
}

/** The forms of a password a guesser would try as one word from a list. */
function baseForms(password: string): Set<string> {
  const folded = fold(password);
  const bare = core(folded);
  // A symbol in front may be a letter ("$ummer2025"): read it before the ends are trimmed.
  const withoutTail = folded.replace(/[\p{N}\p{P}\p{S}]+$/u, '');
  const forms = [folded, bare];
  for (const one of ['i', 'l'] as const) {
    forms.push(unleet(bare, one), core(unleet(withoutTail, one)));
  }
  return new Set(forms.filter(Boolean));
}

/** The person's own details, whole and in pieces: `dave.smith@example.org` and `Dave Smith`. */
function personalParts(account: { email: string; displayName?: string | undefined }): string[] {
  const localPart = account.email.split('@')[0] ?? '';
  const pieces = [
    account.email,
    localPart,
    ...localPart.split(/[.\-_+]/),
    account.displayName ?? '',
    ...(account.displayName ?? '').split(/\s+/),
  ];
  return [...new Set(pieces.map(fold))].filter((part) => part.length >= 3);
}

/**
 * Why a password may be refused; each has a stable code the web app words in its language, and
 * the server's own message gives the reasons in the request's language.
 */
export const passwordWeaknessReasons = {
  too_short: {
    en: `use at least ${passwordLimits.minLength} characters`,
    nb: `bruk minst ${passwordLimits.minLength} tegn`,
  },
  too_long: {
    en: `use at most ${passwordLimits.maxLength} characters`,
    nb: `bruk høyst ${passwordLimits.maxLength} tegn`,
  },
  common: {
    en: 'it is one of the most common passwords',
    nb: 'det er et av de vanligste passordene',
  },
  pattern: {
    en: 'it is a run or a repetition of characters',
    nb: 'det er en rekke eller en gjentakelse av tegn',
  },
  personal: {
    en: 'it is mostly your email or name',
    nb: 'det er for det meste e-postadressen eller navnet ditt',
  },
  guessable: {
    en: 'it is easy to guess; add a few words that do not belong together',
    nb: 'det er lett å gjette; legg til noen ord som ikke hører sammen',
  },
} satisfies Record<string, Wording>;

export type PasswordWeakness = keyof typeof passwordWeaknessReasons;

/**
 * Why a new password is refused; empty when it is acceptable. Follows NIST SP 800-63B: a
 * minimum length, no composition rules, and a refusal of passwords that are breached or common
 * (also with a changed case, letters written as digits or symbols, or digits and punctuation
 * added), patterned, made of the account's own details, or otherwise quick to guess.
 */
export function passwordWeaknesses(
  password: string,
  account: { email: string; displayName?: string | undefined },
): PasswordWeakness[] {
  const weaknesses: PasswordWeakness[] = [];
  // Characters as people count them: an emoji or an accented letter is one.
  const length = [...new Intl.Segmenter().segment(password)].length;
  if (length < passwordLimits.minLength) weaknesses.push('too_short');
  if (length > passwordLimits.maxLength) {
    weaknesses.push('too_long');
    return weaknesses;
  }
  const forms = [...baseForms(password)];
  const folded = fold(password);
  if (forms.some((form) => breachedPasswords.has(form) || serviceWords.includes(form))) {
    weaknesses.push('common');
  } else if (isRunOrRepeat(folded)) {
    weaknesses.push('pattern');
  }
  const personal = personalParts(account);
  const mostlyPersonal = personal.some(
    (part) =>
      forms.includes(part) ||
      (part.length >= 4 && folded.includes(part) && folded.length - part.length < 6),
  );
  if (mostlyPersonal) weaknesses.push('personal');
  if (weaknesses.length === 0) {
    const estimate = strengthEstimator().check(password, [...personal, ...serviceWords]);
    if (estimate.score < minimumScore) weaknesses.push('guessable');
  }
  return weaknesses;
}
