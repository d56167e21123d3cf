// The watch stream decoder and the newline splitter under it, fed the same bytes in random
// chunkings (seeded; the seed is printed and KEELSON_SEED replays it): frames split anywhere,
// several frames in a chunk, multi-byte UTF-8 characters cut between chunks, frames of several
// MB, a last frame without newline. Malformed frames are errors, never skipped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '@keelson/apimachinery';
import { LineSplitter } from '../src/line-splitter.js';
import { decodeWatchStream, parseWatchFrame } from '../src/watch-decoder.js';
import { WatchDecodeError } from '../src/errors.js';
import type { WatchEvent } from '../src/types.js';
import { seededRandom, testSeed } from './fakes.js';

type Obj = { kind: string; metadata: { name: string; resourceVersion: string }; data?: Record<string, string> };

/** Cuts `buf` at random places: mostly small pieces, sometimes 1-byte ones, sometimes large. */
function randomChunks(buf: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const r = rnd();
    const size = r < 0.3 ? 1 : r < 0.8 ? 1 + Math.floor(rnd() * 64) : 1 + Math.floor(rnd() * 65536);
    // Copies, so a splitter holding a view of an earlier chunk would be caught if chunks were reused.
    out.push(Buffer.from(buf.subarray(i, i + size)));
    i += size;
  }
  return out;
}

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

async function collect<T>(it: AsyncIterable<WatchEvent<T>>): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const TEXTS = ['plain', 'naïve café', '日本語のテキスト', 'emoji 🚀🧪 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'line\\nbreak escaped', '"quotes" and \\ backslash', 'ß∂ƒ©˙∆˚¬…æ'];

function randomEvents(rnd: () => number, n: number): WatchEvent<Obj>[] {
  const types = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK'] as const;
  const out: WatchEvent<Obj>[] = [];
  for (let i = 0; i < n; i++) {
    const data: Record<string, string> = {};
    const keys = Math.floor(rnd() * 5);
    for (let k = 0; k < keys; k++) data[`k${k}`] = TEXTS[Math.floor(rnd() * TEXTS.length)].repeat(1 + Math.floor(rnd() * 20));
    // Now and then a frame of a few MB.
    if (rnd() < 0.02) data.big = '€'.repeat(1_000_000 + Math.floor(rnd() * 500_000));
    out.push({ type: types[Math.floor(rnd() * types.length)], object: { kind: 'ConfigMap', metadata: { name: `cm-${i}`, resourceVersion: String(i + 1) }, data } });
  }
  return out;
}

describe('LineSplitter', () => {
  test('complete lines only, across chunks; end() returns the unterminated rest', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('ab')).map((l) => l.bytes.toString()), []);
    assert.deepEqual(s.push(Buffer.from('c\nde\nf')).map((l) => [l.bytes.toString(), l.offset]), [
      ['abc', 0],
      ['de', 4],
    ]);
    assert.deepEqual(s.push(Buffer.from('g\r\n\n')).map((l) => l.bytes.toString()), ['fg', '']);
    assert.equal(s.end(), undefined);
    s.push(Buffer.from('tail'));
    assert.equal(s.end()?.bytes.toString(), 'tail');
  });

  test('a UTF-8 character cut between chunks is decoded whole', () => {
    const bytes = Buffer.from('é🚀\n');
    const s = new LineSplitter();
    const lines = [...s.push(bytes.subarray(0, 1)), ...s.push(bytes.subarray(1, 4)), ...s.push(bytes.subarray(4))];
    assert.equal(lines.length, 1);
    assert.equal(lines[0].bytes.toString('utf8'), 'é🚀');
  });

  test('a line longer than the limit throws instead of growing without bound', () => {
    const s = new LineSplitter(10);
    assert.throws(() => s.push(Buffer.from('0123456789AB')), RangeError);
    const t = new LineSplitter(10);
    assert.throws(() => t.push(Buffer.from('0123456789AB\n')), RangeError);
  });
});

describe('decodeWatchStream', () => {
  test('random chunkings of random frames decode to the same events', async () => {
    const seed = testSeed('watch-decoder random chunkings');
    const rnd = seededRandom(seed);
    for (let round = 0; round < 40; round++) {
      const events = randomEvents(rnd, 1 + Math.floor(rnd() * 60));
      let text = events.map((e) => JSON.stringify(e)).join('\n');
      const trailing = rnd();
      if (trailing < 0.6) text += '\n'; // else: the last frame has no newline
      if (trailing > 0.9) text += '\n\n'; // blank lines are skipped
      const chunks = randomChunks(Buffer.from(text, 'utf8'), rnd);
      const got = await collect(decodeWatchStream<Obj>(from(chunks)));
      assert.equal(got.length, events.length, `round ${round} (seed ${seed})`);
      assert.deepEqual(got, events, `round ${round} (seed ${seed})`);
    }
  });

  test('several frames in one chunk, and every split point of a small stream', async () => {
    const events: WatchEvent<Obj>[] = [
      { type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '1' }, data: { x: 'ü🚀' } } },
      { type: 'MODIFIED', object: { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '2' } } },
      { type: 'BOOKMARK', object: { kind: 'ConfigMap', metadata: { name: '', resourceVersion: '3' } } },
    ];
    const buf = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
    assert.deepEqual(await collect(decodeWatchStream<Obj>(from([buf]))), events);
    for (let i = 1; i < buf.length; i++) {
      for (const j of [i + 1, i + 7, buf.length - 1]) {
        if (j <= i || j >= buf.length) continue;
        const got = await collect(decodeWatchStream<Obj>(from([buf.subarray(0, i), buf.subarray(i, j), buf.subarray(j)])));
        assert.deepEqual(got, events, `split at ${i}, ${j}`);
      }
    }
  });

  test('a frame of 20 MB arriving in 64 KiB chunks', async () => {
    const big = { type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'big', resourceVersion: '1' }, data: { v: 'ж'.repeat(10 * 1024 * 1024) } } };
    const buf = Buffer.from(JSON.stringify(big) + '\n');
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += 65536) chunks.push(buf.subarray(i, i + 65536));
    const t0 = performance.now();
    const got = await collect(decodeWatchStream<Obj>(from(chunks)));
    const ms = performance.now() - t0;
    assert.equal(got.length, 1);
    assert.equal(got[0].object.data!.v.length, 10 * 1024 * 1024);
    assert.ok(ms < 2000, `decoding took ${ms} ms (the pending chunks must be joined once, not per chunk)`);
  });

  test('an ERROR frame is thrown as the ApiError it carries (410 Expired)', async () => {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 };
    const text = JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '6' } } }) + '\n' + JSON.stringify({ type: 'ERROR', object: status }) + '\n';
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of decodeWatchStream<Obj>(from([Buffer.from(text)]))) seen.push(e.type);
      })(),
      (e: unknown) => e instanceof ApiError && e.code === 410 && e.reason === 'Expired' && /too old/.test(e.message),
    );
    assert.deepEqual(seen, ['ADDED'], 'the event before the error is delivered');
  });

  test('malformed frames throw WatchDecodeError with the offset and an excerpt', async () => {
    const good = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    const cases: [string, RegExp][] = [
      ['{"type":"ADDED","object":{"metadata":', /not valid JSON/],
      ['[1,2,3]', /not a JSON object/],
      ['"just a string"', /not a JSON object/],
      ['{"type":"ADDED"}', /has no object/],
      ['{"type":"ADDED","object":"x"}', /has no object/],
      ['{"type":"CHANGED","object":{}}', /unknown type "CHANGED"/],
      ['{"object":{}}', /unknown type undefined/],
    ];
    for (const [bad, re] of cases) {
      const text = `${good}\n${bad}\n${good}\n`;
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const e of decodeWatchStream(from([Buffer.from(text)]))) seen.push(e.type);
        })(),
        (e: unknown) => {
          assert.ok(e instanceof WatchDecodeError, `${bad}: ${String(e)}`);
          assert.match(e.message, re);
          assert.equal(e.offset, good.length + 1);
          assert.ok(e.excerpt.length > 0);
          return true;
        },
      );
      assert.deepEqual(seen, ['ADDED'], `${bad}: nothing after the bad frame is delivered`);
    }
    // A truncated last frame (the connection died mid-frame) is an error too, not a silent end.
    await assert.rejects(collect(decodeWatchStream(from([Buffer.from(`${good}\n{"type":"ADDED","obj`)]))), WatchDecodeError);
  });

  test('parseWatchFrame: an ERROR frame without a Status still becomes an ApiError', () => {
    assert.throws(
      () => parseWatchFrame('{"type":"ERROR","object":{"message":"boom"}}'),
      (e: unknown) => e instanceof ApiError && e.code === 500 && e.message === 'boom',
    );
  });
});
