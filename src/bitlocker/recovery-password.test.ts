import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type BlockError,
  findRecoveryPasswords,
  keyToRecoveryPassword,
  parseRecoveryPassword,
  recoveryPasswordToKey,
  RecoveryPasswordError,
  redactRecoveryPasswords,
} from './recovery-password.js';
import { generateRecoveryPassword } from './recovery-password-generation.js';

// The worked vector from the corpus image bitlk-aes-xts-128 (docs/bitlocker-format.md, section 1).
const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const keyHex = 'be531d7f315abf04a0553557c67932d2';

function expectValid(input: string): string {
  const result = parseRecoveryPassword(input);
  assert.ok(result.valid, `expected ${JSON.stringify(input)} to parse: ${JSON.stringify(result)}`);
  return result.normalized;
}

function errorsOf(input: string): BlockError[] {
  const result = parseRecoveryPassword(input);
  if (result.valid) assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
  return result.errors;
}

function errorBlocks(input: string): number[] {
  return errorsOf(input).map((error) => error.block);
}

describe('recovery password', () => {
  it('converts the corpus password to its 16-byte key and back', () => {
    const result = parseRecoveryPassword(password);
    assert.ok(result.valid);
    assert.equal(Buffer.from(result.key).toString('hex'), keyHex);
    assert.equal(keyToRecoveryPassword(Buffer.from(keyHex, 'hex')), password);
    assert.equal(Buffer.from(recoveryPasswordToKey(password)).toString('hex'), keyHex);
  });

  it('accepts the ways people type and paste it', () => {
    const fullWidth = password.replace(/[0-9-]/g, (c) =>
      String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0),
    );
    const forms = [
      password.replace(/-/g, ''),
      password.replace(/-/g, ' '),
      password.replace(/-/g, ' - '),
      password.replace(/-/g, '\u2013'),
      `  ${password}  \n`,
      `${password.slice(0, 27)}\r\n${password.slice(28)}`,
      `My recovery key is ${password}, keep it safe.`,
      `Password:\r\n      ${password}\r\n\r\n    Backup type:`,
      fullWidth,
      password.replace(/-/g, '\u00a0'),
      `2 keys found on 2024-01-05\n${password}`,
    ];
    for (const form of forms) assert.equal(expectValid(form), password, JSON.stringify(form));
  });

  it('ignores digits that belong to a GUID printed next to the password', () => {
    assert.equal(expectValid(`ID: D373C7954D29\n${password}`), password);
  });

  it('names the block with a typo and shows its value', () => {
    const result = parseRecoveryPassword(password.replace('253979', '253997'));
    assert.deepEqual(
      result.valid ? [] : result.errors.map(({ block, value }) => ({ block, value })),
      [{ block: 3, value: '253997' }],
    );
  });

  it('reports every bad block, not only the first', () => {
    assert.deepEqual(
      errorBlocks(password.replace('235818', '235819').replace('591910', '591901')),
      [1, 8],
    );
  });

  it('rejects a block above the largest 16-bit value', () => {
    // 720896 = 65536 * 11 is a multiple of 11 but no u16 gives it.
    const [error] = errorsOf(password.replace('591910', '720896'));
    assert.equal(error?.block, 8);
    assert.match(error.reason, /720885/);
  });

  it('tells a short block, a missing block and a missing password apart', () => {
    assert.deepEqual(errorBlocks(password.replace('013365', '01336')), [4]);
    const expectations: [string, RegExp][] = [
      [password.replace('-013365', ''), /7 blocks/],
      [password.replace(/-/g, '').slice(1), /47 digits/],
      ['no key here', /No recovery password found/],
    ];
    for (const [input, reason] of expectations) {
      const [error, ...others] = errorsOf(input);
      assert.equal(error?.block, 0);
      assert.match(error.reason, reason);
      assert.equal(others.length, 0);
    }
  });

  it('throws a typed error naming the block when converting an invalid password', () => {
    assert.throws(
      () => recoveryPasswordToKey(password.replace('245575', '245557')),
      (error: unknown) =>
        error instanceof RecoveryPasswordError && error.message.includes('Block 6 (245557)'),
    );
  });

  it('generates valid, different passwords', () => {
    const first = generateRecoveryPassword();
    assert.match(first, /^\d{6}(-\d{6}){7}$/);
    assert.equal(expectValid(first), first);
    assert.notEqual(generateRecoveryPassword(), first);
  });

  it('finds every password in a text, skipping invalid ones', () => {
    const other = keyToRecoveryPassword(Buffer.alloc(16, 7));
    const text = `${password}\n${other}\n${password.replace('235818', '235819')}\n${password}`;
    assert.deepEqual(findRecoveryPasswords(text), [password, other]);
  });

  it('masks a password in free text however it is spaced, and leaves shorter numbers alone', () => {
    const fullWidth = password.replace(/[0-9]/g, (digit) =>
      String.fromCodePoint(0xff10 + Number(digit)),
    );
    for (const typed of [
      password,
      password.replace(/-/g, ' '),
      password.replace(/-/g, ''),
      password.replace(/-/g, '\n'),
      password.replace(/-/g, ' – '),
      fullWidth,
    ]) {
      const comment = `Order 2025-11-30, ticket 4711: my key is ${typed}. Thanks!`;
      const { text, redacted } = redactRecoveryPasswords(comment, '[removed]');
      assert.equal(redacted, 1, typed);
      assert.equal(text, 'Order 2025-11-30, ticket 4711: my key is [removed]. Thanks!');
    }
    const typo = password.replace('235818', '235819');
    assert.deepEqual(redactRecoveryPasswords(`almost: ${typo}`, '[removed]'), {
      text: 'almost: [removed]',
      redacted: 1,
    });
    const numbers = 'Call +47 22 33 44 55 between 08.00 and 16.00, case 1234567890.';
    assert.deepEqual(redactRecoveryPasswords(numbers, '[removed]'), { text: numbers, redacted: 0 });
  });
});

describe('recovery password properties', () => {
  const keys = fc.uint8Array({ minLength: 16, maxLength: 16 });

  it('round-trips key -> password -> parse -> key', () => {
    fc.assert(
      fc.property(keys, fc.constantFrom('-', ' ', '', '\n'), (key, separator) => {
        const formatted = keyToRecoveryPassword(key);
        const result = parseRecoveryPassword(formatted.replace(/-/g, separator));
        assert.ok(result.valid);
        assert.equal(result.normalized, formatted);
        assert.deepEqual([...result.key], [...key]);
      }),
    );
  });

  it('detects every single-digit change and pins it to its block', () => {
    fc.assert(
      fc.property(keys, (key) => {
        const digits = keyToRecoveryPassword(key).replace(/-/g, '');
        for (let position = 0; position < digits.length; position++) {
          for (const digit of '0123456789') {
            if (digit === digits[position]) continue;
            const changed = digits.slice(0, position) + digit + digits.slice(position + 1);
            assert.deepEqual(errorBlocks(changed), [Math.floor(position / 6) + 1]);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('detects every swap of two different adjacent digits, in the blocks they sit in', () => {
    fc.assert(
      fc.property(keys, (key) => {
        const digits = keyToRecoveryPassword(key).replace(/-/g, '');
        for (let position = 0; position + 1 < digits.length; position++) {
          const [a, b] = [digits[position]!, digits[position + 1]!];
          if (a === b) continue;
          const swapped = digits.slice(0, position) + b + a + digits.slice(position + 2);
          const blocks = new Set([position, position + 1].map((p) => Math.floor(p / 6) + 1));
          assert.deepEqual(errorBlocks(swapped), [...blocks]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
