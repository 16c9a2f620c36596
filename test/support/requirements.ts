import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Suites that need something outside the checkout (PostgreSQL, Chromium, the BitLocker corpus,
 * poppler's pdftotext, cryptsetup) skip with a one-line reason on a developer machine, and fail in CI where the matching
 * KEYHOLD_TEST_REQUIRE_* variable is set.
 */
export function requirement(
  name: 'postgres' | 'browser' | 'corpus' | 'pdftotext' | 'native' | 'mount' | 'cryptsetup',
  missingReason: string | undefined,
): string | false {
  if (missingReason === undefined) return false;
  const variable = `KEYHOLD_TEST_REQUIRE_${name.toUpperCase()}`;
  if (process.env[variable] === '1') {
    throw new Error(`${variable}=1 but ${missingReason}`);
  }
  return `skipped: ${missingReason}`;
}

/** The extracted Windows-made BitLocker images (scripts/run-tests.js extracts them). */
export function corpusDir(): string | undefined {
  const dir = process.env.KEYHOLD_CORPUS_DIR;
  return dir && existsSync(join(dir, 'images.conf')) ? dir : undefined;
}

export function corpusSkip(): string | false {
  return requirement(
    'corpus',
    corpusDir() ? undefined : 'the BitLocker corpus (../shared/corpus/bitlocker) is not available',
  );
}

/** Poppler's pdftotext reads a PDF's text the way a viewer shows it (Debian: poppler-utils). */
export function pdftotextSkip(): string | false {
  const missing = spawnSync('pdftotext', ['-v']).error !== undefined;
  return requirement(
    'pdftotext',
    missing ? 'pdftotext (poppler-utils) is not installed' : undefined,
  );
}

/** The real cryptsetup, for LUKS2 image files (Debian: cryptsetup-bin, in /usr/sbin). */
export function cryptsetupPath(): string | undefined {
  return ['/usr/sbin/cryptsetup', '/sbin/cryptsetup', '/usr/bin/cryptsetup'].find((path) =>
    existsSync(path),
  );
}

export function cryptsetupSkip(): string | false {
  return requirement(
    'cryptsetup',
    cryptsetupPath() ? undefined : 'cryptsetup (cryptsetup-bin) is not installed',
  );
}
