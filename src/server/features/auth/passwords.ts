import { hash, verify } from '@node-rs/argon2';

export interface Argon2Cost {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/** The cost a stored hash was made with, read from its PHC string; undefined if it is not argon2id. */
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

  /**
   * Spends the same time as checking a real password, for emails that have no account, so the
   * answer's timing does not tell whether an account exists.
   */
  async verifyNothing(password: string): Promise<false> {
    await this.verifyDummy(this.cost, password);
    return false;
  }

  private async verifyDummy(cost: Argon2Cost, password: string): Promise<void> {
    const name = `${cost.memoryKib},${cost.iterations},${cost.parallelism}`;
    let dummy = this.dummyHashes.get(name);
    if (!dummy) {
      dummy = this.hash('keyhold: no account has this email', cost);
      this.dummyHashes.set(name, dummy);
    }
    await this.verify(await dummy, password);
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
