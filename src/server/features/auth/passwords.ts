import { hash, verify } from '@node-rs/argon2';

export interface Argon2Cost {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/**
 * Hashes and checks passwords with argon2id (the library's default algorithm; its enum is a
 * const enum that isolated modules cannot name) at the configured cost.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly cost: Argon2Cost) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      memoryCost: this.cost.memoryKib,
      timeCost: this.cost.iterations,
      parallelism: this.cost.parallelism,
    });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same time as checking a real password, for emails that have no account, so the
   * answer's timing does not tell whether an account exists.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('keyhold: no account has this email');
    await this.verify(await this.dummyHash, password);
    return false;
  }
}

export const passwordLimits = { minLength: 10, maxLength: 256 } as const;

/** Passwords people pick first; a list of a few dozen catches most of what a guesser tries. */
const commonPasswords = new Set([
  'password',
  'passw0rd',
  'password1',
  'password12',
  'password123',
  'password1234',
  'qwertyuiop',
  'qwerty1234',
  'qwerty12345',
  'qwerty123456',
  'asdfghjkl',
  'asdfghjkl1',
  'zxcvbnm123',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'iloveyou12',
  'letmein123',
  'welcome123',
  'welcome1234',
  'administrator',
  'admin12345',
  'changeme123',
  'trustno1234',
  'football123',
  'baseball123',
  'sunshine123',
  'princess123',
  'superman123',
  'starwars123',
  'dragon12345',
  'monkey12345',
  'michael1234',
  'liverpool1',
  'charlie123',
  'whatever123',
  'keyhold123',
  'keyholdpassword',
  'bitlocker123',
  'recoverykey',
  'correcthorsebatterystaple',
]);

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

/**
 * Why a new password is refused; empty when it is acceptable. Follows NIST SP 800-63B: a
 * minimum length, no composition rules, and a refusal of passwords that are common or made of
 * the account's own details.
 */
export function passwordWeaknesses(
  password: string,
  account: { email: string; displayName?: string | undefined },
): string[] {
  const reasons: string[] = [];
  // Characters as people count them: an emoji or an accented letter is one.
  const length = [...new Intl.Segmenter().segment(password)].length;
  if (length < passwordLimits.minLength) {
    reasons.push(`use at least ${passwordLimits.minLength} characters`);
  }
  if (length > passwordLimits.maxLength) {
    reasons.push(`use at most ${passwordLimits.maxLength} characters`);
  }
  const fold = (text: string) => text.toLowerCase().replace(/[\s\-_.]/g, '');
  const folded = fold(password);
  const withoutDigits = folded.replace(/\d+$/, '');
  if (commonPasswords.has(folded) || commonPasswords.has(withoutDigits)) {
    reasons.push('it is one of the most common passwords');
  } else if (isRunOrRepeat(folded)) {
    reasons.push('it is a run or a repetition of characters');
  }
  const localPart = account.email.split('@')[0] ?? '';
  const personal = [account.email, localPart, account.displayName ?? '']
    .map(fold)
    .filter((part) => part.length >= 4);
  if (personal.some((part) => folded.includes(part) && folded.length - part.length < 6)) {
    reasons.push('it is mostly your email or name');
  }
  return reasons;
}
