import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/cli.js';

/**
 * The web app's two languages must stay complete: every key in both files, no empty text, the
 * same {{placeholders}} in each, every key the code asks for present, and no key left unused.
 */
const webDir = join(repoRoot, 'web');
const languages = ['en', 'nb'] as const;
const pluralSuffix = /_(zero|one|two|few|many|other)$/;

function flatten(value: unknown, prefix = ''): Map<string, string> {
  const result = new Map<string, string>();
  if (typeof value === 'string') {
    result.set(prefix, value);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      for (const entry of flatten(child, prefix ? `${prefix}.${key}` : key)) result.set(...entry);
    }
  } else {
    result.set(prefix, String(value));
  }
  return result;
}

const messages = Object.fromEntries(
  languages.map((language) => [
    language,
    flatten(JSON.parse(readFileSync(join(webDir, 'i18n', `${language}.json`), 'utf8'))),
  ]),
) as Record<(typeof languages)[number], Map<string, string>>;

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1] ?? '').sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The first argument of every t(...) and i18n.exists(...) call, literal or template. */
function keysAskedFor(): { literal: Set<string>; patterns: RegExp[] } {
  const literal = new Set<string>();
  const patterns: RegExp[] = [];
  for (const file of sourceFiles(join(webDir, 'src'))) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\b(?:t|exists)\(\s*(['`])([^'`]+)\1/g)) {
      const key = match[2] ?? '';
      if (!key.includes('${')) {
        literal.add(key);
        continue;
      }
      const parts = key
        .split(/\$\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^()|[\]\\]/g, '\\$&'));
      // A key asked for with returnObjects covers everything under it.
      patterns.push(new RegExp(`^${parts.join('[^.]+')}(\\..+)?$`));
    }
  }
  return { literal, patterns };
}

describe('web app translations', () => {
  it('has every key in both English and Norwegian Bokmål', () => {
    const [en, nb] = [messages.en, messages.nb];
    const missingInNb = [...en.keys()].filter((key) => !nb.has(key));
    const missingInEn = [...nb.keys()].filter((key) => !en.has(key));
    assert.deepEqual(missingInNb, [], 'keys missing from web/i18n/nb.json');
    assert.deepEqual(missingInEn, [], 'keys missing from web/i18n/en.json');
  });

  it('has no empty text and the same placeholders in both languages', () => {
    for (const language of languages) {
      const empty = [...messages[language]].filter(([, text]) => text.trim() === '');
      assert.deepEqual(empty, [], `empty texts in ${language}.json`);
    }
    const mismatched = [...messages.en]
      .filter(([key, text]) => {
        const other = messages.nb.get(key);
        return other !== undefined && placeholders(text).join() !== placeholders(other).join();
      })
      .map(([key]) => key);
    assert.deepEqual(mismatched, [], 'keys whose {{placeholders}} differ between en and nb');
  });

  it('keeps a noun and a verb apart in Bokmål where English does ("Backups", "Back up")', () => {
    const words = (language: (typeof languages)[number]) =>
      ['keys.columns.backups', 'detail.backup.title'].map((key) => messages[language].get(key));
    assert.deepEqual(words('en'), ['Backups', 'Back up']);
    const [noun, verb] = words('nb');
    assert.equal(noun, 'Sikkerhetskopier');
    assert.notEqual(verb, noun);
  });

  it('has every key the code asks for, and no key the code never uses', () => {
    const { literal, patterns } = keysAskedFor();
    const known = new Set([...messages.en.keys()].map((key) => key.replace(pluralSuffix, '')));
    const missing = [...literal].filter((key) => !known.has(key));
    assert.deepEqual(missing, [], 'keys used in web/src but missing from the translations');
    const unused = [...messages.en.keys()].filter((key) => {
      const base = key.replace(pluralSuffix, '');
      return !literal.has(base) && !patterns.some((pattern) => pattern.test(base));
    });
    assert.deepEqual(unused, [], 'translation keys no code uses');
  });
});
