import type { Language } from '../../messages.js';

/** What a User-Agent says: the browser or client, and the operating system, where recognised. */
export interface DeviceParts {
  browser: string | null;
  system: string | null;
}

// First match wins: Edge and Opera also name Chrome, and Chrome also names Safari.
const browsers: [RegExp, string][] = [
  [/\bkeyhold\//i, 'Keyhold CLI'],
  [/\bcurl\//i, 'curl'],
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  // HeadlessChrome/… (automation, Puppeteer, Playwright) has no word boundary before "Chrome".
  [/\b(Headless)?Chrom(e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];

const systems: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

export function deviceParts(userAgent: string | null | undefined): DeviceParts {
  const find = (patterns: [RegExp, string][]) =>
    patterns.find(([pattern]) => pattern.test(userAgent ?? ''))?.[1] ?? null;
  return { browser: find(browsers), system: find(systems) };
}

const wording: Record<
  Language,
  { on: (browser: string, system: string) => string; unknown: string }
> = {
  en: { on: (browser, system) => `${browser} on ${system}`, unknown: 'Unknown device' },
  nb: { on: (browser, system) => `${browser} på ${system}`, unknown: 'Ukjent enhet' },
};

/** A short, human description of a User-Agent for the sessions list: "Firefox on Linux". */
export function describeDevice(
  userAgent: string | null | undefined,
  language: Language = 'en',
): string {
  const { browser, system } = deviceParts(userAgent);
  const words = wording[language];
  if (browser && system) return words.on(browser, system);
  return browser ?? system ?? words.unknown;
}
