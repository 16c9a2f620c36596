import { sentences, type Wording } from '../text/wording.js';
import { BitLockerFormatError } from './errors.js';
import { describeLookalikes, recoveryPasswordLookalikes } from './lookalike-digits.js';
import { bitLockerMessages } from './messages.js';

/** One block of a recovery password that cannot be right, by its 1-based position. */
export interface BlockError {
  /** 1 to 8; 0 when the problem is the whole password (digit or block count). */
  block: number;
  value: string;
  /** In English, for scripts (`--json`) and the API. */
  reason: string;
  /** The reason in English and Bokmål: a sentence for block 0, else what is wrong with the block. */
  wording: Wording;
}

function blockError(block: number, value: string, wording: Wording): BlockError {
  return { block, value, reason: wording.en, wording };
}

export type RecoveryPasswordResult =
  { valid: true; normalized: string; key: Uint8Array } | { valid: false; errors: BlockError[] };

/** Thrown where a valid recovery password is required and the given one is not. */
export class RecoveryPasswordError extends BitLockerFormatError {
  constructor(readonly errors: BlockError[]) {
    super('invalid-recovery-password', describeRecoveryPasswordErrors(errors));
  }
}

const blockCount = 8;
const blockDigits = 6;
const passwordDigits = blockCount * blockDigits;
/** The key a recovery password stands for: 8 blocks of 16 bits. */
export const recoveryKeyBytes = 16;
/** Each block is 11 times a 16-bit value, so the largest possible block is 0xFFFF * 11. */
const largestBlock = 0xffff * 11;

/** One person-readable line for a failed parse, naming every bad block. */
export function describeRecoveryPasswordErrors(errors: readonly BlockError[]): Wording {
  if (errors.length === 0) return bitLockerMessages.recoveryPasswordInvalid;
  return sentences(
    ...errors.map((error) =>
      error.block === 0
        ? error.wording
        : bitLockerMessages.badBlock(error.block, error.value, error.wording),
    ),
  );
}

/** Formats a 16-byte key as the 48-digit recovery password Windows shows. */
export function keyToRecoveryPassword(key: Uint8Array): string {
  if (key.length !== recoveryKeyBytes) {
    throw new BitLockerFormatError(
      'invalid-recovery-key-length',
      bitLockerMessages.recoveryKeyLength(recoveryKeyBytes, key.length),
    );
  }
  const bytes = new DataView(key.buffer, key.byteOffset, key.length);
  const blocks: string[] = [];
  for (let i = 0; i < blockCount; i++) {
    blocks.push(String(bytes.getUint16(i * 2, true) * 11).padStart(blockDigits, '0'));
  }
  return blocks.join('-');
}

/** The 16-byte key a recovery password stands for; throws when the password is not valid. */
export function recoveryPasswordToKey(normalized: string): Uint8Array {
  const result = parseRecoveryPassword(normalized);
  if (!result.valid) throw new RecoveryPasswordError(result.errors);
  return result.key;
}

function checkBlock(value: string, block: number): BlockError | undefined {
  const n = Number(value);
  if (n % 11 !== 0) return blockError(block, value, bitLockerMessages.blockNotMultipleOf11);
  if (n > largestBlock) {
    return blockError(block, value, bitLockerMessages.blockTooLarge(largestBlock));
  }
  return undefined;
}

function validateBlocks(blocks: readonly string[]): RecoveryPasswordResult {
  const errors: BlockError[] = [];
  blocks.forEach((value, index) => {
    if (value.length !== blockDigits) {
      errors.push(
        blockError(index + 1, value, bitLockerMessages.blockDigitCount(value.length, blockDigits)),
      );
      return;
    }
    const error = checkBlock(value, index + 1);
    if (error) errors.push(error);
  });
  if (errors.length > 0) return { valid: false, errors };
  const key = new Uint8Array(recoveryKeyBytes);
  const view = new DataView(key.buffer);
  blocks.forEach((value, index) => {
    view.setUint16(index * 2, Number(value) / 11, true);
  });
  return { valid: true, normalized: blocks.join('-'), key };
}

function chunk(digits: string): string[] {
  const blocks: string[] = [];
  for (let i = 0; i < digits.length; i += blockDigits)
    blocks.push(digits.slice(i, i + blockDigits));
  return blocks;
}

const isDecimalDigit = /^\p{Nd}$/u;

/**
 * Every Unicode decimal digit as its ASCII digit. Unicode assigns decimal digits only in
 * contiguous runs of ten, 0 to 9, so a digit's value is its distance from the start of its run.
 */
function asciiDigit(char: string): string {
  let cp = char.codePointAt(0) ?? 0;
  let value = 0;
  while (value < 9 && isDecimalDigit.test(String.fromCodePoint(cp - 1))) {
    cp--;
    value++;
  }
  return String(value);
}

/** What people paste: full-width digits, typographic dashes, non-breaking spaces. */
function normalizeTyping(input: string): string {
  return input
    .normalize('NFKC')
    .replace(/[^\P{Nd}0-9]/gu, asciiDigit)
    .replace(/[\p{Pd}\u2212]/gu, '-');
}

type TokenKind = 'digits' | 'separator' | 'word' | 'other';

function tokenize(text: string): { kind: TokenKind; text: string }[] {
  const tokens: { kind: TokenKind; text: string }[] = [];
  for (const [whole, digits, separator, word] of text.matchAll(
    /([0-9]+)|([\s.-]+)|([\p{L}\p{M}_]+)|[^]/gu,
  )) {
    const kind: TokenKind =
      digits !== undefined
        ? 'digits'
        : separator !== undefined
          ? 'separator'
          : word !== undefined
            ? 'word'
            : 'other';
    tokens.push({ kind, text: whole });
  }
  return tokens;
}

/** Runs of digit groups separated only by spaces, line breaks, dashes or dots. */
function digitRuns(text: string): string[][] {
  const tokens = tokenize(text);
  const runs: string[][] = [];
  let current: string[] = [];
  let previous: TokenKind = 'other';
  tokens.forEach((token, index) => {
    // Digits glued to letters belong to a word (a hex GUID, "Win10"), never to a password.
    const gluedToWord =
      token.kind === 'digits' &&
      (tokens[index - 1]?.kind === 'word' || tokens[index + 1]?.kind === 'word');
    if (token.kind === 'digits' && !gluedToWord) {
      if (previous !== 'separator' && current.length > 0) {
        runs.push(current);
        current = [];
      }
      current.push(token.text);
    } else if (token.kind !== 'separator' && current.length > 0) {
      runs.push(current);
      current = [];
    }
    previous = gluedToWord ? 'word' : token.kind;
  });
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * Stretches of a run made of groups whose lengths are whole blocks (6, 12, ... 48 digits), cut at
 * any other group. Text around a password ("2 keys", a date) ends up in its own stretch.
 */
function blockAlignedStretches(run: readonly string[]): string[][] {
  const stretches: string[][] = [[]];
  for (const group of run) {
    if (group.length % blockDigits === 0) stretches.at(-1)?.push(group);
    else stretches.push([]);
  }
  return stretches.filter((stretch) => stretch.length > 0);
}

function diagnose(run: readonly string[] | undefined): RecoveryPasswordResult {
  if (!run) {
    const reason = bitLockerMessages.noRecoveryPasswordFound(
      passwordDigits,
      blockCount,
      blockDigits,
    );
    return { valid: false, errors: [blockError(0, '', reason)] };
  }
  const digits = run.join('');
  if (run.length === blockCount) return validateBlocks(run);
  if (digits.length === passwordDigits) return validateBlocks(chunk(digits));
  const reason =
    run.length === 1
      ? bitLockerMessages.passwordDigitCount(digits.length, passwordDigits, blockCount, blockDigits)
      : bitLockerMessages.passwordBlockCount(run.length, digits.length, blockCount, blockDigits);
  return { valid: false, errors: [blockError(0, run.join('-'), reason)] };
}

/**
 * Reads a recovery password the way people type or paste it: with dashes, spaces or nothing
 * between blocks, broken over lines, inside a sentence, in full-width digits. Every block that
 * cannot be right is reported with its position and value.
 */
export function parseRecoveryPassword(input: string): RecoveryPasswordResult {
  const result = parseDigits(input);
  if (result.valid) return result;
  // Letters typed for look-alike digits ("O13365") split the blocks; say which digit they are.
  const hint = describeLookalikes(recoveryPasswordLookalikes(input));
  if (hint === undefined) return result;
  return { valid: false, errors: [...result.errors, blockError(0, '', hint)] };
}

function parseDigits(input: string): RecoveryPasswordResult {
  const runs = digitRuns(normalizeTyping(input));
  for (const run of runs) {
    for (const stretch of blockAlignedStretches(run)) {
      const digits = stretch.join('');
      if (digits.length === passwordDigits) return validateBlocks(chunk(digits));
    }
  }
  const longest = runs.reduce<string[] | undefined>(
    (best, run) => (best && best.join('').length >= run.join('').length ? best : run),
    undefined,
  );
  return diagnose(longest);
}

/** Every valid recovery password in a text, normalized, in order of appearance, without repeats. */
export function findRecoveryPasswords(text: string): string[] {
  const found = new Set<string>();
  for (const run of digitRuns(normalizeTyping(text))) {
    for (const stretch of blockAlignedStretches(run)) {
      // Several passwords one per line form one stretch; every 48 digits is one password.
      const digits = stretch.join('');
      if (digits.length % passwordDigits !== 0) continue;
      for (let start = 0; start < digits.length; start += passwordDigits) {
        const result = validateBlocks(chunk(digits.slice(start, start + passwordDigits)));
        if (result.valid) found.add(result.normalized);
      }
    }
  }
  return [...found];
}

/**
 * Stretches that start and end with a digit and hold only digits and the separators people put
 * between blocks (in any script's digits and dashes, as `parseRecoveryPassword` reads them).
 */
const digitStretch = /\p{Nd}(?:[\p{Nd}\s.\p{Pd}\u2212]*\p{Nd})?/gu;

/** What stands where a recovery password was removed: the same in every language. */
export const removedPasswordMark = '[…]';

/**
 * Replaces every stretch of `text` that holds a recovery password `parseRecoveryPassword` would
 * accept, however it is spaced, with `mask`. A stretch of 48 digits or more goes too, valid or
 * not: a key with one mistyped digit still gives away the other seven blocks. Anything shorter
 * (dates, order numbers) stays as it is.
 */
export function redactRecoveryPasswords(
  text: string,
  mask = removedPasswordMark,
): { text: string; redacted: number } {
  let redacted = 0;
  const masked = text.replace(digitStretch, (stretch) => {
    const digitCount = stretch.match(/\p{Nd}/gu)?.length ?? 0;
    if (digitCount < passwordDigits && findRecoveryPasswords(stretch).length === 0) return stretch;
    redacted += 1;
    return mask;
  });
  return { text: masked, redacted };
}
