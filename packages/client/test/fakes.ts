/** Test doubles shared by the unit tests: a manual clock and a seeded random source. */
import type { Clock } from '../src/clock.js';

/** A clock that moves only when told; sleepers wake in deadline order. */
export class FakeClock implements Clock {
  private t = 0;
  private sleepers: { at: number; resolve: () => void; reject: (e: unknown) => void; seq: number }[] = [];
  private seq = 0;
  /** Every sleep requested, in ms (for assertions). */
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry = { at: this.t + Math.max(0, ms), resolve, reject, seq: this.seq++ };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, waking sleepers whose deadline passed (letting each continuation run). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      await flush();
    }
    this.t = end;
    await flush();
  }

  get pending(): number {
    return this.sleepers.length;
  }
}

/** Lets queued promise continuations run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** mulberry32: a small seeded PRNG, so a failing random test can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomized test: KEELSON_SEED when set, else a fresh one; printed so it can be replayed. */
export function testSeed(name: string): number {
  const env = process.env.KEELSON_SEED;
  const seed = env ? Number(env) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`${name}: seed ${seed} (replay with KEELSON_SEED=${seed})\n`);
  return seed;
}
