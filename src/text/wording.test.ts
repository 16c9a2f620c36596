import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { groupedDigits } from './wording.js';

describe('groupedDigits', () => {
  it('groups whole numbers exactly as Intl does in English and Bokmål', () => {
    const samples = [0, 7, 999, 1000, 65_536, 104_857_600, 1_073_741_824, 2 ** 53 - 1];
    for (let n = 0; n < 500; n++) samples.push(randomInt(0, 2 ** 48 - 1));
    for (const value of samples) {
      assert.equal(groupedDigits(value, 'en'), value.toLocaleString('en-US'));
      assert.equal(groupedDigits(value, 'nb'), value.toLocaleString('nb-NO'));
    }
  });
});
