/**
 * `keelson trace latency` and `keelson trace gc`: the real command (from sources) against real
 * processes, with --output json, stopped by SIGINT as a user stops it; and its usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { keelson, until } from './support/keelson-cli.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'trace');

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
let bin: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-trace-cli-'));
  bin = join(dir, 'latency-target');
  execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-o', bin, join(fixtures, 'latency-target.c')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('trace latency: intervals, slow calls with their stacks, a summary at Ctrl-C', async () => {
  const target = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const k = keelson(['trace', 'latency', '--pid', String(target.pid), '--symbol', 'traced_sleep', '--slow', '15ms', '--interval', '200ms', '--output', 'json']);
  try {
    let doneLines = 0;
    createInterface({ input: target.stdout }).on('line', (l) => void (l === 'done' && doneLines++));
    await until('the tracer to start', () => k.stdout().includes('"type":"start"'), k);
    target.stdin.write('call 2 4\ncall 30 2\n');
    await until('the calls', () => doneLines === 2);
    await until('the slow calls', () => (k.stdout().match(/"type":"slow"/g) ?? []).length === 2, k);
    const intervalCalls = (): number => jsonLines(k.stdout()).reduce((n, e) => n + (e.type === 'interval' ? (e.calls as number) : 0), 0);
    await until('the intervals to count the 6 calls', () => intervalCalls() >= 6, k);
    k.proc.kill('SIGINT');
    const r = await k.done;
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    assert.deepEqual(events[0], { type: 'start', symbol: 'traced_sleep', binary: bin, pid: target.pid });
    for (const s of events.filter((e) => e.type === 'slow')) {
      assert.ok((s.durationNs as number) >= 30e6, `slow call of ${s.durationNs} ns`);
      assert.equal((s.stack as { name?: string }[])[0].name, 'run_calls');
    }
    assert.equal(intervalCalls(), 6, 'each call in exactly one interval');
    const summary = events.at(-1) as { type: string; calls: number; buckets: { count: number }[]; p99Ns: number };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.calls, 6);
    assert.equal(summary.buckets.reduce((n, b) => n + b.count, 0), 6);
    assert.ok(summary.p99Ns >= 2 ** 24, 'p99 is in the 30 ms calls\' bucket');
  } finally {
    k.proc.kill('SIGKILL');
    target.kill();
  }
});

test('trace gc: one line per collection and a summary', async () => {
  const target = spawn(process.execPath, ['--expose-gc', join(fixtures, 'gc-target.mjs'), '2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: target.stdout }).on('line', (l) => lines.push(l));
  await until('the target', () => lines.length > 0);
  const k = keelson(['trace', 'gc', '--pid', String(target.pid), '--output', 'json']);
  try {
    await until('the tracer to start', () => k.stdout().includes('"type":"start"'), k);
    target.stdin.write('go\n');
    await until('the target to report', () => lines.some((l) => l.startsWith('{')));
    const report = JSON.parse(lines.find((l) => l.startsWith('{')) as string) as { entries: { kind: number }[] };
    const expected = report.entries.filter((e) => e.kind === 1 || e.kind === 4).length;
    await until(`${expected} collections`, () => (k.stdout().match(/"type":"gc"/g) ?? []).length >= expected, k);
    k.proc.kill('SIGINT');
    const r = await k.done;
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    assert.equal(events[0].type, 'start');
    assert.equal(events[0].heapSizes, true);
    const gcs = events.filter((e) => e.type === 'gc');
    assert.ok(gcs.every((g) => g.pid === target.pid && typeof g.heapBefore === 'number' && typeof g.durationNs === 'number'));
    assert.ok(gcs.filter((g) => g.reason === 'testing' && g.kind === 'major').length >= 2, 'the two gc() calls');
    const summary = events.at(-1) as { type: string; collections: number; major: number };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.collections, gcs.length);
  } finally {
    k.proc.kill('SIGKILL');
    target.kill();
  }
});

test('usage mistakes exit 2 with what to do', async () => {
  const cases: [string[], RegExp][] = [
    [['trace', 'latency', '--pid', '1'], /required option '--symbol <name>' not specified/],
    [['trace', 'latency', '--symbol', 'x', '--interval', '5parsecs'], /"5parsecs" is not a duration: write it like 500ms, 1s/],
    [['trace', 'gc', '--pid', '999999999'], /no process 999999999: pass the pid of a running process/],
    [['trace', 'latency', '--symbol', 'x'], /needs --pid \(one process\) or --binary/],
  ];
  for (const [args, message] of cases) {
    const r = await keelson(args).done;
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
});
