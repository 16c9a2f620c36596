import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backupErrorMessages } from '../../src/backup/messages.js';
import { bitLockerMessages } from '../../src/bitlocker/messages.js';
import { conversionRefusal } from '../../src/bitlocker/volume/conversion-wording.js';
import type { ConversionStatus, EncryptionMode } from '../../src/bitlocker/volume/metadata.js';
import { volumeFormatMessages } from '../../src/bitlocker/volume/messages.js';
import { accountMessages } from '../../src/cli/account/messages.js';
import { organisationMessages } from '../../src/cli/account/organisation-library.js';
import { agentMessages } from '../../src/cli/agent/messages.js';
import { backupMessages } from '../../src/cli/backup/messages.js';
import { commandLineMessages } from '../../src/cli/command-line-messages.js';
import { inputMessages } from '../../src/cli/input-messages.js';
import { keyMessages } from '../../src/cli/key/messages.js';
import { serverMessages } from '../../src/cli/server/messages.js';
import { volumeMessages } from '../../src/cli/volume/messages.js';
import { dataMessages } from '../../src/operations/data-messages.js';
import { operationMessages } from '../../src/operations/messages.js';
import { configMessages } from '../../src/server/config-messages.js';
import { operatorLogMessages } from '../../src/server/log-messages.js';
import { deviceAuthRefusals } from '../../src/server/features/device-auth/messages.js';
import { fieldReasons, refusals, requestMessages, things } from '../../src/server/messages.js';
import { repoRoot } from '../support/cli.js';

/**
 * An argument that serves as any of the catalogues' parameter types (text, count, list,
 * Wording, a bad block, an organisation), so every message can be built without knowing its
 * signature. Printed as text it shows «index», so a value left out of one language shows.
 */
function sampleArgument(index: number): unknown {
  const value = `«${index}»`;
  return Object.assign([value], {
    en: `english part ${value}`,
    nb: `norsk del ${value}`,
    block: 2,
    reason: { en: 'english reason', nb: 'norsk grunn' },
    name: value,
    role: 'member',
    toFixed: () => value,
    toLocaleString: () => value,
    toString: () => value,
  });
}

function wordings(catalogue: Record<string, unknown>): [string, { en: string; nb: string }][] {
  return Object.entries(catalogue).map(([name, entry]) => {
    const wording =
      typeof entry === 'function'
        ? (entry as (...args: unknown[]) => unknown)(
            ...Array.from({ length: entry.length }, (_, index) => sampleArgument(index)),
          )
        : entry;
    return [name, wording as { en: string; nb: string }];
  });
}

/** The values a text shows, in order of their index. */
function valuesIn(text: string): string[] {
  return [...text.matchAll(/«\d+»/g)].map(([value]) => value).sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * The CLI's own catalogues, and those of the pure modules whose errors reach people through it
 * and the server: every BitLockerFormatError, EscrowExportError and BackupError takes its wording
 * from these (their constructors accept nothing else). The server's own (the things a not-found
 * answer names, shared refusals, whole-request messages, the reasons of refused fields) reach
 * people through the CLI's account commands and the web app.
 */
const catalogues = {
  accountMessages,
  organisationMessages,
  agentMessages,
  serverMessages,
  bitLockerMessages,
  volumeFormatMessages,
  backupErrorMessages,
  volumeMessages,
  keyMessages,
  backupMessages,
  inputMessages,
  commandLineMessages,
  dataMessages,
  operationMessages,
  things,
  refusals,
  requestMessages,
  deviceAuthRefusals,
  configMessages,
  operatorLogMessages,
  fieldReasons,
};

describe('the message catalogues', () => {
  for (const [catalogueName, catalogue] of Object.entries(catalogues)) {
    it(`${catalogueName} has every message in English and in a Bokmål of its own`, () => {
      for (const [name, wording] of wordings(catalogue)) {
        assert.ok(wording.en.trim() !== '', `${catalogueName}.${name} has no English`);
        assert.ok(wording.nb.trim() !== '', `${catalogueName}.${name} has no Bokmål`);
        assert.notEqual(wording.nb, wording.en, `${catalogueName}.${name} is not translated`);
        assert.deepEqual(
          valuesIn(wording.nb),
          valuesIn(wording.en),
          `${catalogueName}.${name} leaves out a value in one language`,
        );
      }
    });
  }

  it('has no message that nothing prints', () => {
    const source = sourceFiles(join(repoRoot, 'src'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const unused = Object.entries(catalogues).flatMap(([catalogueName, catalogue]) =>
      Object.keys(catalogue)
        .filter((name) => !source.includes(`${catalogueName}.${name}`))
        .map((name) => `${catalogueName}.${name}`),
    );
    assert.deepEqual(unused, []);
  });

  it('words every refusal to decrypt a converting volume in a Bokmål of its own', () => {
    const modes: EncryptionMode[] = ['full', 'used-space-only'];
    const statuses: ConversionStatus[] = [
      'fully-encrypted',
      'encrypting',
      'decrypting',
      'paused',
      'decrypted',
      'unknown',
    ];
    for (const mode of modes) {
      for (const status of statuses) {
        const refused = {
          conversion: { mode, status, pausedWhile: 'encrypting' as const, encryptedSize: 1 << 20 },
          volumeSize: 2 << 20,
          stateCodes: { current: 4, next: 4 },
        };
        const en = conversionRefusal(refused, 'en');
        const nb = conversionRefusal(refused, 'nb');
        assert.ok(nb.trim() !== '' && nb !== en, `${mode}, ${status} is not translated`);
      }
    }
  });
});
