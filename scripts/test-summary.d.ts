export interface TapSummary {
  passed: number;
  failed: number;
  /** Each skipped suite or test, with the reason it gave. */
  skips: { name: string; reason: string }[];
}

export function summarizeTap(tap: string): TapSummary;
