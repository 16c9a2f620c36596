// Reads the TAP node:test writes and sums it up for the closing line of `npm test`.

/**
 * Node counts skipped tests only, so a suite skipped whole (no PostgreSQL, no Chromium) would hide
 * all of its tests. Every `# SKIP` directive is one skipped suite or test, kept with its reason.
 */
export function summarizeTap(tap) {
  const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const skips = [...tap.matchAll(/^\s*ok \d+ - (.*?) # SKIP\s*(.*)$/gm)].map(
    ([, name, reason]) => ({
      name,
      reason: reason.replace(/^skipped:\s*/, '') || 'no reason given',
    }),
  );
  return { passed: count('pass'), failed: count('fail') + count('cancelled'), skips };
}
