// The ELF symbol reader, on the node binary running this test (a real, unstripped ELF).
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ElfError, findSymbols, readSymbols, resolveSymbol } from '../src/elf.js';

const node = process.execPath;
const hasSymbols = readSymbols(node).length > 0;

describe('ELF symbols', { skip: process.platform !== 'linux' ? 'needs a Linux ELF binary' : !hasSymbols ? `${node} is stripped` : false }, () => {
  it('finds exported functions with their file offsets inside the file', () => {
    const uvRun = resolveSymbol(node, 'uv_run');
    assert.equal(uvRun.type, 'func');
    assert.ok(uvRun.size > 0);
    assert.ok(uvRun.offset > 0 && uvRun.offset + uvRun.size <= statSync(node).size);
  });

  it('a function offset points at its code: the bytes there are the same in both symbol tables', () => {
    const copies = findSymbols(node, 'uv_run');
    assert.ok(copies.length >= 1);
    assert.equal(new Set(copies.map((s) => s.offset)).size, 1, 'every copy names the same offset');
    // Two different functions start at different places with different bytes.
    const other = resolveSymbol(node, 'uv_loop_init');
    const fd = openSync(node, 'r');
    try {
      const a = Buffer.alloc(16);
      const b = Buffer.alloc(16);
      readSync(fd, a, 0, 16, copies[0].offset);
      readSync(fd, b, 0, 16, other.offset);
      assert.notDeepEqual(a, b);
    } finally {
      closeSync(fd);
    }
  });

  it('matches by regular expression', () => {
    const uv = findSymbols(node, /^uv_(run|stop)$/).map((s) => s.name);
    assert.ok(uv.includes('uv_run') && uv.includes('uv_stop'));
  });

  it('says when a symbol is missing, with near matches, and when a file is not ELF', () => {
    assert.throws(() => resolveSymbol(node, 'uv_ru'), (err: unknown) => err instanceof ElfError && /no function "uv_ru" in .*similar: .*uv_run/.test(err.message));
    assert.throws(() => readSymbols('/proc/self/status'), /is not an ELF file/);
    assert.throws(() => readSymbols('/nonexistent/binary'), /cannot open \/nonexistent\/binary/);
  });
});
