// Randomized model check: the same random operations against MemoryStore, SqliteStore (with
// restarts) and ReferenceModel, in lockstep; every result and error must agree, and every
// watch must see exactly the model's events. Prints its seed; KEELSON_SEED=<n> replays a run.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../src/memory-store.js';
import { SqliteStore } from '../src/sqlite-store.js';
import type { Store, WatchEvent } from '../src/store.js';
import { ReferenceModel } from './reference-model.js';
import { collect, settle, type Collected } from './watch-collector.js';

const seed = process.env.KEELSON_SEED ? Number(process.env.KEELSON_SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`storage model check: seed ${seed} (rerun with KEELSON_SEED=${seed})`);

const RUNS = 4;
const OPS_PER_RUN = 700;

const dir = mkdtempSync(join(tmpdir(), 'keelson-model-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: small, fast, good enough to drive a test. */
function rng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = { ok: unknown } | { error: string };

async function outcome(f: () => unknown): Promise<Outcome> {
  try {
    return { ok: JSON.parse(JSON.stringify((await f()) ?? null)) };
  } catch (err) {
    const e = err as Error;
    return { error: `${e.name}: ${e.message}` };
  }
}

/** One watch as a client sees it, across restarts of the store. */
interface Side {
  /** Events of ended segments. */
  done: WatchEvent[];
  current: Collected | undefined;
  /** Why it ended for good. */
  error?: Error;
}

interface Watch {
  prefix: string;
  after: number;
  memory: Side;
  sqlite: Side;
}

function side(c: Collected): Side {
  return { done: [], current: c };
}

describe('storage model check', () => {
  for (let run = 0; run < RUNS; run++) {
    const runSeed = seed + run;
    it(`agrees with the reference model (seed ${runSeed})`, async () => {
      const random = rng(runSeed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const path = join(dir, `run-${runSeed}.db`);
      const model = new ReferenceModel();
      const memory: Store = new MemoryStore();
      let sqlite: Store = new SqliteStore({ path });
      const watches: Watch[] = [];
      const keys = ['/a/0', '/a/1', '/a/10', '/a/2', '/a/2/x', '/ab', '/b/0', '/b/1', '/b/2', '/c'];
      const prefixes = ['', '/', '/a', '/a/', '/a/1', '/a/2/', '/b/', '/c', '/d/'];
      const trace: string[] = [];
      try {
        for (let step = 0; step < OPS_PER_RUN; step++) {
          const rev = model.revision;
          const key = pick(keys);
          const r = random();
          let name: string;
          let call: (s: Store | ReferenceModel) => unknown;
          if (r < 0.2) {
            const value = `v${step}`;
            name = `create ${key}`;
            call = (s) => s.create(key, value);
          } else if (r < 0.38) {
            const cur = model.list(key, { limit: 1 }).items.find((kv) => kv.key === key);
            const expected = cur && random() < 0.8 ? cur.modRevision : int(0, rev + 1);
            const value = `u${step}`;
            name = `update ${key} @${expected}`;
            call = (s) => s.update(key, value, expected);
          } else if (r < 0.5) {
            const cur = model.list(key, { limit: 1 }).items.find((kv) => kv.key === key);
            const expected = random() < 0.4 ? undefined : cur && random() < 0.8 ? cur.modRevision : int(0, rev + 1);
            name = `delete ${key} @${expected}`;
            call = (s) => s.delete(key, expected);
          } else if (r < 0.62) {
            const revision = random() < 0.5 ? undefined : int(0, rev + 1);
            name = `get ${key} @${revision}`;
            call = (s) => s.get(key, { revision });
          } else if (r < 0.8) {
            const prefix = pick(prefixes);
            const revision = random() < 0.4 ? undefined : int(0, rev + 1);
            const limit = random() < 0.3 ? undefined : int(0, 4);
            const startKey = random() < 0.5 ? undefined : pick([...keys, '/a/1\0', '/', '/z']);
            name = `list ${prefix} ${JSON.stringify({ revision, limit, startKey })}`;
            call = (s) => s.list(prefix, { revision, limit, startKey });
          } else if (r < 0.85) {
            const prefix = pick(prefixes);
            name = `count ${prefix}`;
            call = (s) => s.count(prefix);
          } else if (r < 0.88) {
            const revision = int(Math.max(0, model.compacted - 2), rev + 1);
            name = `compact ${revision}`;
            call = (s) => s.compact(revision);
          } else if (r < 0.94) {
            const prefix = pick(prefixes);
            const after = int(Math.max(0, model.compacted - 2), rev + 2);
            name = `watch ${prefix} after ${after}`;
            trace.push(name);
            const expected = after < model.compacted ? 'CompactedError' : 'ok';
            const started = [memory, sqlite].map((s) => {
              try {
                return collect(s, prefix, after);
              } catch (err) {
                return err as Error;
              }
            });
            for (const res of started) assert.equal(res instanceof Error ? res.name : 'ok', expected, `${name}\n${trace.join('\n')}`);
            const [m, s] = started;
            if (!(m instanceof Error) && !(s instanceof Error)) {
              watches.push({ prefix, after, memory: side(m), sqlite: side(s) });
            }
            continue;
          } else if (r < 0.96) {
            name = 'reopen sqlite';
            trace.push(name);
            await sqlite.close();
            sqlite = new SqliteStore({ path });
            // Watches on the closed store ended with StoreClosedError; a client starts them
            // again after the last event it got (or relists, when that was compacted).
            for (const w of watches) {
              const c = w.sqlite.current;
              if (!c) continue;
              await c.until(() => c.errors.length > 0);
              w.sqlite.done.push(...c.events);
              w.sqlite.current = undefined;
              if (c.errors[0].name !== 'StoreClosedError') {
                w.sqlite.error = c.errors[0];
                continue;
              }
              const last = w.sqlite.done.length > 0 ? w.sqlite.done[w.sqlite.done.length - 1].revision : w.after;
              if (last < model.compacted) w.sqlite.error = new Error('CompactedError: resume point compacted');
              else w.sqlite.current = collect(sqlite, w.prefix, last);
            }
            continue;
          } else {
            name = 'settle';
            trace.push(name);
            await settle(int(1, 4));
            continue;
          }
          trace.push(name);
          const expected = await outcome(() => call(model));
          const [m, s] = await Promise.all([outcome(() => call(memory)), outcome(() => call(sqlite))]);
          const context = `step ${step}: ${name} (seed ${runSeed})\nlast ops:\n${trace.slice(-25).join('\n')}`;
          assert.deepEqual(m, expected, `memory disagrees at ${context}`);
          assert.deepEqual(s, expected, `sqlite disagrees at ${context}`);
          if (random() < 0.2) await settle(1);
        }
        // Every watch must have seen exactly the model's events, or a prefix of them followed by
        // CompactedError when a compaction overtook its replay.
        for (const w of watches) {
          const expected = JSON.parse(JSON.stringify(model.events(w.prefix, w.after)));
          const last = expected.length > 0 ? expected[expected.length - 1].revision : w.after;
          for (const [backend, side] of [['memory', w.memory], ['sqlite', w.sqlite]] as const) {
            const c = side.current;
            if (c) {
              const seen = () => [...side.done, ...c.events].at(-1)?.revision ?? w.after;
              await c.until(() => c.errors.length > 0 || seen() >= last);
              await settle(2);
              side.done.push(...c.events);
              side.error ??= c.errors[0];
              c.handle.cancel();
            }
            const got = JSON.parse(JSON.stringify(side.done));
            const what = `${backend} watch ${w.prefix} after ${w.after} (seed ${runSeed})`;
            if (side.error) {
              assert.match(`${side.error.name} ${side.error.message}`, /CompactedError/, what);
              assert.deepEqual(got, expected.slice(0, got.length), what);
            } else {
              assert.deepEqual(got, expected, what);
            }
          }
        }
      } finally {
        await memory.close();
        await sqlite.close();
      }
    });
  }
});
