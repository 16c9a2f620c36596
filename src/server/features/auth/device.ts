/** A short, human description of a User-Agent for the sessions list: "Firefox on Linux". */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browsers: [RegExp, string][] = [
    [/\bkeyhold\//i, 'Keyhold CLI'],
    [/\bcurl\//i, 'curl'],
    [/\bEdg(e|A|iOS)?\//, 'Edge'],
    [/\bOPR\//, 'Opera'],
    [/\bFirefox\/|FxiOS\//, 'Firefox'],
    [/\bChrom(e|ium)\/|CriOS\//, 'Chrome'],
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
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}
