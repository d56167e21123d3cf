/**
 * Log2 latency histograms as latency.bpf.c fills them: bucket i counts durations in
 * [2^i, 2^(i+1)) nanoseconds (bucket 0 also holds 0 and 1 ns). Percentiles are estimated by
 * interpolating inside the bucket that holds the rank, so they are exact to within the bucket's
 * width (a factor of two); that is the price of a fixed-size, lock-free in-kernel histogram
 * (bcc's funclatency makes the same trade).
 */
export const LATENCY_BUCKETS = 64;

/** The bucket a duration lands in: floor(log2(ns)), 0 for 0 and 1. */
export function bucketOf(ns: number | bigint): number {
  let v = BigInt(ns);
  if (v < 0n) throw new RangeError(`negative duration ${ns}`);
  let r = 0;
  while (v > 1n) {
    v >>= 1n;
    r++;
  }
  return r;
}

/** [low, high) in nanoseconds of bucket i. */
export function bucketBounds(i: number): [number, number] {
  return [i === 0 ? 0 : 2 ** i, 2 ** (i + 1)];
}

export class Log2Histogram {
  readonly counts: number[];

  constructor(counts?: readonly number[]) {
    this.counts = Array.from({ length: LATENCY_BUCKETS }, (_, i) => counts?.[i] ?? 0);
  }

  /** Sums per-CPU u64 counters: perCpu[bucket] = one little-endian u64 per CPU. */
  static fromPerCpu(perCpu: readonly (readonly (bigint | number)[])[]): Log2Histogram {
    return new Log2Histogram(perCpu.map((cpus) => cpus.reduce<number>((s, v) => s + Number(v), 0)));
  }

  record(ns: number | bigint, n = 1): void {
    this.counts[bucketOf(ns)] += n;
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /** this - earlier: the calls of one interval, from two cumulative reads. */
  since(earlier: Log2Histogram): Log2Histogram {
    return new Log2Histogram(this.counts.map((c, i) => Math.max(0, c - earlier.counts[i])));
  }

  /**
   * The q-quantile (0 < q <= 1) in nanoseconds, interpolated inside its bucket; undefined when
   * empty. q = 0.5 is the median, 0.99 the p99.
   */
  quantile(q: number): number | undefined {
    if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in (0, 1]`);
    const total = this.total;
    if (total === 0) return undefined;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) {
      const c = this.counts[i];
      if (c === 0) continue;
      if (seen + c >= rank) {
        const [lo, hi] = bucketBounds(i);
        // Spread the bucket's calls evenly over it: the k-th of c sits at the middle of its share.
        return lo + ((hi - lo) * (rank - seen - 0.5)) / c;
      }
      seen += c;
    }
    return undefined;
  }

  /** Rows from the first to the last non-empty bucket, with bars, as bcc's funclatency prints them. */
  render(width = 40): string {
    const first = this.counts.findIndex((c) => c > 0);
    if (first < 0) return '  (no calls)\n';
    let last = LATENCY_BUCKETS - 1;
    while (this.counts[last] === 0) last--;
    const max = Math.max(...this.counts);
    const rows: string[] = [];
    const labels = [];
    for (let i = first; i <= last; i++) {
      const [lo, hi] = bucketBounds(i);
      labels.push(`${formatDuration(lo)} -> ${formatDuration(hi)}`);
    }
    const labelWidth = Math.max(...labels.map((l) => l.length));
    const countWidth = Math.max(5, String(max).length);
    rows.push(`${'duration'.padStart(labelWidth)} : ${'count'.padEnd(countWidth)}  distribution`);
    for (let i = first; i <= last; i++) {
      const c = this.counts[i];
      const bar = '*'.repeat(Math.round((c / max) * width));
      rows.push(`${labels[i - first].padStart(labelWidth)} : ${String(c).padEnd(countWidth)}  |${bar.padEnd(width)}|`);
    }
    return rows.join('\n') + '\n';
  }
}

/** 1500 -> "1.5µs", 2_000_000 -> "2ms": short, for tables. */
export function formatDuration(ns: number): string {
  const units: [number, string][] = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
  ];
  for (const [scale, unit] of units) {
    if (ns >= scale) {
      const v = ns / scale;
      return `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))}${unit}`;
    }
  }
  return `${Math.round(ns)}ns`;
}
