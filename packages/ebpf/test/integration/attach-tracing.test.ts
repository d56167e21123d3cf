// Tracing attachments against the real kernel: tracepoint and raw tracepoint (kill(2) calls of
// this process, counted by the program), uprobe and uretprobe on a C function of a binary the test
// compiles, filtered by pid; detaching stops the counting.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BpfObject, ElfError, objectPath, resolveSymbol, u32, u64Number, type BpfMap } from '../../src/index.js';
import { activeLinks } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const TRACEPOINT = 0;
const RAW_TRACEPOINT = 1;
const UPROBE_CALLS = 2;
const UPROBE_ARG_SUM = 3;
const URETPROBE_CALLS = 4;
const URETPROBE_RET_SUM = 5;

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'uprobe-target.c');

describe('tracing attachments', { skip: skipUnlessRoot }, () => {
  let obj: BpfObject;
  let counters: BpfMap<number, number>;
  let dir: string;
  let target: string;

  before(async () => {
    requireBuilt('test/attach');
    dir = mkdtempSync(join(tmpdir(), 'keelson-ebpf-attach-'));
    target = join(dir, 'uprobe-target');
    execFileSync('gcc', ['-O2', '-o', target, fixture]);
    obj = BpfObject.open(objectPath('test/attach'));
    obj.setGlobal('target_tgid', u32, process.pid);
    await obj.load();
    counters = obj.map('counters', { key: u32, value: u64Number });
  });

  after(() => {
    obj?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const count = (i: number): number => counters.lookup(i) ?? -1;

  it('tracepoint: counts the events, stops counting once detached', () => {
    const link = obj.program('count_kill').attachTracepoint('syscalls', 'sys_enter_kill');
    const start = count(TRACEPOINT);
    for (let i = 0; i < 25; i++) process.kill(process.pid, 0);
    assert.equal(count(TRACEPOINT) - start, 25);
    const info = link.info();
    assert.equal(info.type, 'perf_event');
    assert.equal(info.progId, obj.program('count_kill').info().id);
    assert.ok(activeLinks().some((l) => l.id === info.id), 'bpftool lists the link');
    link.detach();
    assert.equal(link.state, 'closed');
    process.kill(process.pid, 0);
    assert.equal(count(TRACEPOINT) - start, 25, 'no counting after detach');
    assert.ok(!activeLinks().some((l) => l.id === info.id), 'bpftool no longer lists the link');
    assert.throws(() => link.info(), /the link is closed/);
  });

  it('raw tracepoint: counts, and close() releases the attachment like detach()', () => {
    const link = obj.program('count_kill_raw').attachRawTracepoint('sys_enter');
    const start = count(RAW_TRACEPOINT);
    for (let i = 0; i < 10; i++) process.kill(process.pid, 0);
    assert.equal(count(RAW_TRACEPOINT) - start, 10);
    assert.equal(link.info().type, 'raw_tracepoint');
    link.close();
    process.kill(process.pid, 0);
    assert.equal(count(RAW_TRACEPOINT) - start, 10);
  });

  it('tracepoint errors say what is missing', () => {
    assert.throws(
      () => obj.program('count_kill').attachTracepoint('syscalls/sys_enter_no_such_call'),
      (err: unknown) => err instanceof Error && /attach tracepoint syscalls\/sys_enter_no_such_call/.test(err.message) && /ENOENT|No such file/.test(err.message),
    );
    assert.throws(() => obj.program('count_kill').attachTracepoint('no-slash'), /expected "category\/name"/);
  });

  async function runTarget(child: ChildProcess): Promise<string> {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin!.end('go\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    return out.trim();
  }

  it('uprobe and uretprobe: arguments and results of a C function, only in the process asked for', async () => {
    const n = 50;
    const watched = spawn(target, [String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const other = spawn(target, ['7'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const sym = resolveSymbol(target, 'keelson_uprobe_target');
      assert.equal(sym.type, 'func');
      const entry = obj.program('on_call').attachUprobe({ binary: target, symbol: 'keelson_uprobe_target', pid: watched.pid });
      const exit = obj.program('on_return').attachUretprobe({ binary: target, symbol: 'keelson_uprobe_target', pid: watched.pid });
      assert.equal(entry.kind, 'uprobe');
      assert.equal(exit.kind, 'uretprobe');
      const base = [UPROBE_CALLS, UPROBE_ARG_SUM, URETPROBE_CALLS, URETPROBE_RET_SUM].map(count);
      assert.equal(await runTarget(watched), String(n * (n + 1) + n));
      assert.equal(await runTarget(other), String(7 * 8 + 7));
      const got = [UPROBE_CALLS, UPROBE_ARG_SUM, URETPROBE_CALLS, URETPROBE_RET_SUM].map((c, i) => count(c) - base[i]);
      // Only the watched process: n calls, arguments 1..n, results 2i+1.
      assert.deepEqual(got, [n, (n * (n + 1)) / 2, n, n * (n + 1) + n]);
      entry.detach();
      exit.detach();
    } finally {
      watched.kill();
      other.kill();
    }
  });

  it('uprobe without pid: every process running the binary; detach stops it', async () => {
    const link = obj.program('on_call').attachUprobe({ binary: target, symbol: 'keelson_uprobe_target' });
    const start = count(UPROBE_CALLS);
    await runTarget(spawn(target, ['3'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    await runTarget(spawn(target, ['4'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    assert.equal(count(UPROBE_CALLS) - start, 7);
    link.detach();
    await runTarget(spawn(target, ['5'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    assert.equal(count(UPROBE_CALLS) - start, 7);
  });

  it('uprobe errors name the symbol and near matches', () => {
    assert.throws(
      () => obj.program('on_call').attachUprobe({ binary: target, symbol: 'keelson_uprobe' }),
      (err: unknown) => err instanceof ElfError && /no function "keelson_uprobe" in .*; similar: keelson_uprobe_target/.test(err.message),
    );
    assert.throws(() => obj.program('on_call').attachUprobe({ binary: 'no-such-binary-anywhere', symbol: 'x' }), /not found in PATH/);
    assert.throws(() => obj.program('on_call').attachUprobe({ binary: target }), /pass symbol .* or offset/);
  });
});
