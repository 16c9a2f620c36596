import { parseRecoveryPassword } from '../../../src/bitlocker/recovery-password.js';

export type BlockState = 'empty' | 'partial' | 'ok' | 'bad';

export interface BlockView {
  value: string;
  state: BlockState;
}

export interface PasswordCheck {
  blocks: BlockView[];
  /** The normalized password when all eight blocks are right. */
  normalized: string | null;
  digitCount: number;
  /** More than 48 digits: the text holds something besides one recovery key. */
  tooManyDigits: boolean;
}

const blockCount = 8;
const blockDigits = 6;
/** A block that is always valid (0 x 11), standing in for blocks not typed yet. */
const placeholderBlock = '000000';

const guidPattern =
  /\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?/;

/** The typed digits, leaving out any Key ID pasted along with the key. */
function digitsOf(input: string): string {
  return input
    .normalize('NFKC')
    .replace(new RegExp(guidPattern.source, 'g'), ' ')
    .replace(/[^0-9]/g, '');
}

function chunk(digits: string): string[] {
  return Array.from({ length: blockCount }, (_, index) =>
    digits.slice(index * blockDigits, (index + 1) * blockDigits),
  );
}

/**
 * Judges every block while the person types, using the same parser as the server. Blocks not
 * typed yet are filled with a valid placeholder, so the parser can say which finished blocks
 * are wrong before the whole key is there.
 */
export function checkRecoveryPassword(input: string): PasswordCheck {
  const result = parseRecoveryPassword(input);
  if (result.valid) {
    return {
      blocks: result.normalized.split('-').map((value) => ({ value, state: 'ok' })),
      normalized: result.normalized,
      digitCount: blockCount * blockDigits,
      tooManyDigits: false,
    };
  }
  const digits = digitsOf(input);
  const typed = chunk(digits);
  const finished = Math.floor(digits.length / blockDigits);
  const candidate = typed
    .map((value, index) => (index < finished ? value : placeholderBlock))
    .join('-');
  const checked = parseRecoveryPassword(candidate);
  const bad = new Set(checked.valid ? [] : checked.errors.map((error) => error.block));
  const blocks = typed.map((value, index): BlockView => {
    if (index >= finished) return { value, state: value ? 'partial' : 'empty' };
    return { value, state: bad.has(index + 1) ? 'bad' : 'ok' };
  });
  return {
    blocks,
    normalized: null,
    digitCount: digits.length,
    tooManyDigits: digits.length > blockCount * blockDigits,
  };
}

/** Finds a key protector ID (a GUID) in pasted text, such as a whole recovery file. */
export function findProtectorId(text: string): string | null {
  const match = guidPattern.exec(text);
  return match?.[1]?.toUpperCase() ?? null;
}
