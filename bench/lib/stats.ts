/** Order statistics for benchmark samples. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sortedPercentile(sorted, p);
}

/** As percentile(), for samples already sorted ascending (no copy). */
export function sortedPercentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The median of several runs' values, with min and max as the spread. */
export interface Summary {
  value: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(perRun: readonly number[]): Summary {
  return { value: median(perRun), min: Math.min(...perRun), max: Math.max(...perRun), runs: perRun.length };
}

/** Rounds to `digits` significant decimals for display and JSON (keeps integers as they are). */
export function round(v: number, digits = 2): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
