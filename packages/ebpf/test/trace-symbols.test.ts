import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcessMaps, StackSymbolizer } from '../src/trace/stack-symbolizer.js';
import { FunctionIndex, mangledPrefixes, resolveFunction, SymbolNotFoundError } from '../src/trace/symbols.js';
import { GC_SYMBOLS } from '../src/trace/v8-gc.js';

const node = process.execPath;

/** Where a file offset of `path` is mapped in this process, from /proc/self/maps. */
function mappedAddress(path: string, fileOffset: number): number {
  for (const m of readProcessMaps(process.pid)) {
    if (m.path === path && fileOffset >= m.offset && fileOffset < m.offset + (m.end - m.start)) return m.start + fileOffset - m.offset;
  }
  throw new Error(`offset ${fileOffset} of ${path} is not mapped`);
}

function bytesAt(path: string, position: number, n = 32): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, position);
    return b;
  } finally {
    closeSync(fd);
  }
}

test('the V8 GC entry points of this node binary resolve, and their offsets hold their code', () => {
  for (const name of [GC_SYMBOLS.pause, GC_SYMBOLS.heapSize]) {
    const sym = resolveFunction(node, name);
    assert.ok(sym.name.startsWith(mangledPrefixes(name)[0]), `${name} -> ${sym.name}`);
    // The bytes at the file offset are the bytes this very process runs for that function.
    const inMemory = bytesAt('/proc/self/mem', mappedAddress(node, sym.offset));
    assert.deepEqual(inMemory, bytesAt(node, sym.offset), `${name}: file offset 0x${sym.offset.toString(16)}`);
  }
  assert.match(resolveFunction(node, GC_SYMBOLS.pause).name, /^_ZN2v88internal4Heap24PerformGarbageCollectionE/);
});

test('overloads and missing names are errors that say what to do', () => {
  assert.throws(() => resolveFunction(node, 'node::MakeCallback'), (e: Error) => e instanceof SymbolNotFoundError && /matches \d+ functions .*pass one exact mangled name:\n {2}_ZN4node12MakeCallback/s.test(e.message));
  assert.throws(() => resolveFunction(node, 'v8::internal::Heap::NoSuchThing'), /no function "v8::internal::Heap::NoSuchThing" in .*nm -C/);
  assert.equal(resolveFunction(node, 'uv_run').name, 'uv_run');
});

test('a PIE helper resolves, and frames of a live process get their names back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-elf-'));
  try {
    const bin = join(dir, 'latency-target');
    execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-o', bin, join(import.meta.dirname, 'fixtures', 'trace', 'latency-target.c')]);
    const sleep = resolveFunction(bin, 'traced_sleep');
    const idx = new FunctionIndex(bin);
    assert.equal(idx.at(sleep.offset + 3)?.symbol.name, 'traced_sleep');
    assert.equal(idx.at(sleep.offset + 3)?.offset, 3);

    // This process: an address inside node's uv_run is named uv_run.
    const uvRun = resolveFunction(node, 'uv_run');
    const addr = mappedAddress(node, uvRun.offset) + 4;
    const [frame, unknown] = new StackSymbolizer(process.pid).symbolize([addr, 8]);
    assert.equal(frame.name, 'uv_run');
    assert.equal(frame.offset, 4);
    assert.equal(frame.module, node);
    assert.equal(unknown.module, '[unknown]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
