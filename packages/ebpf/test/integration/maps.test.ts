// Every map type the API supports, read and written from TypeScript against real kernel maps,
// with kernel-side writes (per-CPU counters, a .bss global) from a tracepoint program.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BpfError,
  BpfMap,
  BpfObject,
  PerCpuMap,
  lpmKeyIpv4,
  lpmKeyIpv6,
  objectPath,
  parseCidr,
  possibleCpus,
  struct,
  sumPerCpu,
  u16,
  u32,
  u64,
  u64Number,
  u8,
} from '../../src/index.js';
import { mapById } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const pair = struct({ a: u32, b: u16, c: u8, d: u64 });

describe('maps', { skip: skipUnlessRoot }, () => {
  let obj: BpfObject;
  let dir: string;
  let fd: number;

  before(async () => {
    requireBuilt('test/maps');
    dir = mkdtempSync(join(tmpdir(), 'keelson-ebpf-maps-'));
    writeFileSync(join(dir, 'data'), 'x');
    fd = openSync(join(dir, 'data'), 'r');
    obj = BpfObject.open(objectPath('test/maps'));
    obj.setGlobal('target_tgid', u32, process.pid);
    obj.setGlobal('target_fd', u32, fd);
    await obj.load();
    // Attached as its ELF section says (tp/syscalls/sys_enter_pread64); closes with the object.
    obj.program('count_pread').attach();
  });

  after(() => {
    obj?.close();
    if (fd !== undefined) closeSync(fd);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hash: update, lookup, delete, iterate, flags, batches', () => {
    const m = obj.map('hash_map', { key: u32, value: u64 });
    assert.equal(m.lookup(1), undefined);
    m.update(1, 10n);
    m.update(2, 20n, 'noexist');
    assert.equal(m.lookup(1), 10n);
    assert.throws(() => m.update(2, 21n, 'noexist'), (err: unknown) => err instanceof BpfError && err.code === 'EEXIST');
    assert.throws(() => m.update(3, 30n, 'exist'), (err: unknown) => err instanceof BpfError && err.code === 'ENOENT');
    m.update(2, 22n, 'exist');
    assert.deepEqual([...m.keys()].sort(), [1, 2]);
    assert.deepEqual(new Map(m.entries()), new Map([[1, 10n], [2, 22n]]));
    assert.equal(m.delete(1), true);
    assert.equal(m.delete(1), false);
    const written = m.updateBatch(Array.from({ length: 500 }, (_, i) => [100 + i, BigInt(i)] as const));
    assert.equal(written, 500);
    const all = new Map(m.lookupAll(64));
    assert.equal(all.size, 501);
    assert.equal(all.get(599), 499n);
    assert.equal(all.get(2), 22n);
    assert.equal(m.deleteBatch(Array.from({ length: 500 }, (_, i) => 100 + i)), 500);
    assert.deepEqual([...m.keys()], [2]);
    assert.throws(() => m.update(-1, 1n), /key: u32: -1 is not an integer/);
    assert.throws(() => obj.map('hash_map', { key: u64, value: u64 }), /key size 4 bytes, but the key codec u64 is 8 bytes/);
  });

  it('hash: a full map says so', () => {
    const m = BpfMap.create({ type: 'hash', name: 'small', keySize: 4, valueSize: 4, maxEntries: 2 }, { key: u32, value: u32 });
    try {
      m.update(1, 1);
      m.update(2, 2);
      assert.throws(() => m.update(3, 3), (err: unknown) => err instanceof BpfError && err.code === 'E2BIG' && /map is full/.test(err.message));
      assert.ok(mapById(m.info().id), 'bpftool sees the standalone map');
    } finally {
      m.close();
    }
  });

  it('array: struct values with C layout, fixed keys, no delete', () => {
    const m = obj.map('array_map', { key: u32, value: pair });
    assert.equal(pair.size, 16);
    assert.deepEqual(pair.offsets, { a: 0, b: 4, c: 6, d: 8 });
    assert.deepEqual(m.lookup(3), { a: 0, b: 0, c: 0, d: 0n });
    m.update(3, { a: 7, b: 65535, c: 200, d: 2n ** 63n });
    assert.deepEqual(m.lookup(3), { a: 7, b: 65535, c: 200, d: 2n ** 63n });
    assert.equal(m.lookup(16), undefined, 'past max_entries');
    assert.deepEqual([...m.keys()], Array.from({ length: 16 }, (_, i) => i));
    assert.throws(() => m.delete(3), (err: unknown) => err instanceof BpfError && err.code === 'EINVAL');
    assert.throws(() => m.update(1, { a: 1, b: 2, c: 3 } as never), /field "d" is missing/);
  });

  it('per-CPU array and hash: one value per CPU, summed; the program counts on whichever CPU it runs', () => {
    const arr = obj.perCpuMap('percpu_array', { key: u32, value: u64Number });
    const hash = obj.perCpuMap('percpu_hash', { key: u32, value: u64Number });
    assert.throws(() => obj.map('percpu_array'), /is percpu_array: use perCpuMap\(\)/);
    const before = sumPerCpu(arr.lookup(0)!);
    const reads = 200;
    const buf = Buffer.alloc(1);
    for (let i = 0; i < reads; i++) readSync(fd, buf, 0, 1, i);
    const values = arr.lookup(0)!;
    assert.equal(values.length, possibleCpus());
    assert.equal(sumPerCpu(values) - before, reads);
    assert.equal(sumPerCpu(hash.lookup(process.pid)!), reads + before);
    assert.equal(obj.getGlobal('seen', u64Number), reads + before, '.bss global written by the program');

    arr.update(1, 5);
    assert.deepEqual(arr.lookup(1), new Array(possibleCpus()).fill(5));
    const perCpu = Array.from({ length: possibleCpus() }, (_, i) => i + 1);
    arr.update(2, perCpu);
    assert.deepEqual(arr.lookup(2), perCpu);
    assert.throws(() => arr.update(2, [1]), /got 1 values, this machine has \d+ possible CPUs/);
    hash.update(77, 3);
    assert.equal(sumPerCpu(hash.lookup(77)!), 3 * possibleCpus());
    assert.equal(hash.delete(77), true);
    assert.ok(arr instanceof PerCpuMap);
  });

  it('LRU hash: never above max entries, evicts the least recently used', () => {
    const m = obj.map('lru_map', { key: u32, value: u32 });
    for (let i = 0; i < 100; i++) m.update(i, i * 10);
    const keys = [...m.keys()];
    assert.ok(keys.length > 0 && keys.length <= 8, `${keys.length} entries in an 8-entry LRU map`);
    assert.equal(m.lookup(99), 990, 'the newest entry stays');
    assert.equal(m.lookup(0), undefined, 'the oldest entry was evicted');
  });

  it('LPM trie (IPv4): lookups return the longest matching prefix', () => {
    const m = obj.map('lpm_v4', { key: lpmKeyIpv4, value: u32 });
    m.update({ prefixLen: 8, addr: '10.0.0.0' }, 1);
    m.update({ prefixLen: 16, addr: '10.1.0.0' }, 2);
    m.update(parseCidr('10.1.2.0/24'), 3);
    m.update({ prefixLen: 0, addr: '0.0.0.0' }, 99);
    const at = (addr: string) => m.lookup({ prefixLen: 32, addr });
    assert.equal(at('10.1.2.3'), 3);
    assert.equal(at('10.1.9.9'), 2);
    assert.equal(at('10.200.0.1'), 1);
    assert.equal(at('192.0.2.1'), 99, 'the default route');
    assert.equal(m.delete({ prefixLen: 24, addr: '10.1.2.0' }), true);
    assert.equal(at('10.1.2.3'), 2, 'with the /24 gone, the /16 is the longest match');
    assert.deepEqual(
      [...m.keys()].map((k) => `${k.addr}/${k.prefixLen}`).sort(),
      ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16'],
    );
    assert.throws(() => m.update({ prefixLen: 33, addr: '10.0.0.0' }, 1), /prefix length 33 is outside \[0, 32\]/);
  });

  it('LPM trie (IPv6)', () => {
    const m = obj.map('lpm_v6', { key: lpmKeyIpv6, value: u32 });
    m.update(parseCidr('2001:db8::/32'), 1);
    m.update(parseCidr('2001:db8:1::/48'), 2);
    assert.equal(m.lookup({ prefixLen: 128, addr: '2001:db8:1::5' }), 2);
    assert.equal(m.lookup({ prefixLen: 128, addr: '2001:db8:2::5' }), 1);
    assert.equal(m.lookup({ prefixLen: 128, addr: '2001:db9::1' }), undefined);
    assert.deepEqual([...m.keys()].map((k) => `${k.addr}/${k.prefixLen}`).sort(), ['2001:db8:1::/48', '2001:db8::/32']);
  });

  it('untyped maps read and write raw bytes', () => {
    const m = obj.map('hash_map');
    const key = Uint8Array.of(9, 0, 0, 0);
    m.update(key, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    assert.deepEqual(m.lookup(key), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    assert.equal(obj.map('hash_map', { key: u32, value: u64 }).lookup(9), 0x0807060504030201n);
    assert.throws(() => m.update(Uint8Array.of(1), Uint8Array.of(1)), /got 1 bytes/);
  });
});
