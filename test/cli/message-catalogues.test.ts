import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupMessages } from '../../src/cli/backup/messages.js';
import { commandLineMessages } from '../../src/cli/command-line-messages.js';
import { inputMessages } from '../../src/cli/input-messages.js';
import { keyMessages } from '../../src/cli/key/messages.js';
import { volumeMessages } from '../../src/cli/volume/messages.js';
import { dataMessages } from '../../src/operations/data-messages.js';
import { operationMessages } from '../../src/operations/messages.js';

/**
 * An argument that serves as any of the catalogues' parameter types (text, count, list,
 * Wording), so every message can be built without knowing its signature.
 */
function sampleArgument(): unknown {
  return Object.assign(['first', 'second'], {
    en: 'english part',
    nb: 'norsk del',
    toFixed: () => '2',
    toLocaleString: () => '2',
    toString: () => 'sample',
  });
}

function wordings(catalogue: Record<string, unknown>): [string, { en: string; nb: string }][] {
  return Object.entries(catalogue).map(([name, entry]) => {
    const wording =
      typeof entry === 'function'
        ? (entry as (...args: unknown[]) => unknown)(
            ...Array.from({ length: entry.length }, sampleArgument),
          )
        : entry;
    return [name, wording as { en: string; nb: string }];
  });
}

const catalogues = {
  volumeMessages,
  keyMessages,
  backupMessages,
  inputMessages,
  commandLineMessages,
  dataMessages,
  operationMessages,
};

describe('the CLI message catalogues', () => {
  for (const [catalogueName, catalogue] of Object.entries(catalogues)) {
    it(`${catalogueName} has every message in English and in a Bokmål of its own`, () => {
      for (const [name, wording] of wordings(catalogue)) {
        assert.ok(wording.en.trim() !== '', `${catalogueName}.${name} has no English`);
        assert.ok(wording.nb.trim() !== '', `${catalogueName}.${name} has no Bokmål`);
        assert.notEqual(wording.nb, wording.en, `${catalogueName}.${name} is not translated`);
      }
    });
  }
});
