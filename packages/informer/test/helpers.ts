// Shared test helpers: seeded randomness, polling, a silent logger and a fresh metrics registry.
import { pino } from 'pino';
import { Registry } from 'prom-client';

/** The run's seed: KEELSON_SEED when set, else random. Printed by each randomized test. */
export function testSeed(): number {
  return process.env.KEELSON_SEED ? Number(process.env.KEELSON_SEED) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, fast, good enough to drive a test. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Polls `check` until it returns true (or throws nothing, for assertions), failing after `timeoutMs`. */
export async function eventually(check: () => boolean | void, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (check() !== false) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (last) throw last;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const silentLogger = pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'silent' });

export function newRegistry(): Registry {
  return new Registry();
}

/** Backoff options small enough for tests. */
export const fastBackoff = { initialMs: 2, maxMs: 20, resetAfterMs: 1000 };

/** The value of one series (counter, gauge; a histogram's `_count`) in `registry`, 0 if absent. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const all = await registry.getMetricsAsJSON();
  const base = name.replace(/_count$/, '');
  const m = all.find((x) => x.name === base);
  if (!m) return 0;
  const want = name.endsWith('_count') ? `${base}_count` : undefined;
  let total = 0;
  for (const v of m.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]) {
    if (want && v.metricName !== want) continue;
    if (!want && v.metricName && v.metricName !== base) continue;
    if (Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)) total += v.value;
  }
  return total;
}
