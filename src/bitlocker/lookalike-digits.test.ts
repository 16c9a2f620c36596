import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeLookalikes,
  keyIdLookalikes,
  recoveryPasswordLookalikes,
} from './lookalike-digits.js';

describe('look-alike digits', () => {
  it('finds O for 0 and I, i, l for 1 in a Key ID, each letter once, in the order typed', () => {
    assert.deepEqual(keyIdLookalikes('l43IO1DEA-o'), [
      { letter: 'l', digit: '1' },
      { letter: 'I', digit: '1' },
      { letter: 'O', digit: '0' },
      { letter: 'o', digit: '0' },
    ]);
    assert.deepEqual(keyIdLookalikes('64311DEA'), []);
  });

  it('finds them among the digits of a recovery password, not in the words around it', () => {
    assert.deepEqual(recoveryPasswordLookalikes('Recovery key: 235818-O57951 2I3979 Win10'), [
      { letter: 'O', digit: '0' },
      { letter: 'I', digit: '1' },
    ]);
    assert.deepEqual(recoveryPasswordLookalikes('Recovery Key ID: 64311DEA Volume 1'), []);
  });

  it('says in one sentence which digit each letter should be, in English and Bokmål', () => {
    assert.equal(describeLookalikes([]), undefined);
    assert.deepEqual(describeLookalikes(keyIdLookalikes('O')), {
      en: 'The letter "O" should be the digit 0 (zero).',
      nb: 'Bokstaven «O» skal være sifferet 0 (null).',
    });
    assert.deepEqual(describeLookalikes(keyIdLookalikes('OolI')), {
      en: 'The letters "O" and "o" should be the digit 0 (zero), and "l" and "I" should be the digit 1 (one).',
      nb: 'Bokstavene «O» og «o» skal være sifferet 0 (null), og «l» og «I» skal være sifferet 1 (en).',
    });
  });
});
