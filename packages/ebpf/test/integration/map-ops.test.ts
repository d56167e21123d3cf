// MapOpBatch against real kernel maps: ops on a hash, an LPM trie and an array run in order in one
// addon call; the first failing op (the kernel's refusal) stops the run, with its index and errno.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BpfError, BpfMap, MapOpBatch, MapOpError, lpmKeyIpv4, parseCidr, u32, u64, type CidrKey } from '../../src/index.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const BPF_F_NO_PREALLOC = 1;

describe('MapOpBatch', { skip: skipUnlessRoot }, () => {
  let hash: BpfMap<number, bigint>;
  let trie: BpfMap<CidrKey, number>;
  let rawTrie: BpfMap;
  let array: BpfMap<number, number>;
  const made: BpfMap<any, any>[] = [];

  before(() => {
    requireBuilt();
    hash = BpfMap.create({ type: 'hash', name: 'ops_hash', keySize: 4, valueSize: 8, maxEntries: 64 }, { key: u32, value: u64 });
    trie = BpfMap.create({ type: 'lpm_trie', name: 'ops_trie', keySize: 8, valueSize: 4, maxEntries: 64, flags: BPF_F_NO_PREALLOC }, { key: lpmKeyIpv4, value: u32 });
    array = BpfMap.create({ type: 'array', name: 'ops_array', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32, value: u32 });
    // Raw bytes: the codecs refuse what this trie is given to see the kernel refuse it.
    rawTrie = BpfMap.create({ type: 'lpm_trie', name: 'ops_raw_trie', keySize: 8, valueSize: 4, maxEntries: 8, flags: BPF_F_NO_PREALLOC });
    made.push(hash, trie, array, rawTrie);
  });

  after(() => {
    for (const m of made) m.close();
  });

  const clearAll = (): void => {
    for (const k of [...hash.keys()]) hash.delete(k);
    for (const k of [...trie.keys()]) trie.delete(k);
    for (let i = 0; i < array.maxEntries; i++) array.update(i, 0);
  };
  const at = (addr: string): CidrKey => ({ prefixLen: 32, addr });

  it('runs updates and deletes on a hash, an LPM trie and an array, in the order added', () => {
    clearAll();
    hash.update(9, 90n);
    const batch = new MapOpBatch()
      .update(trie, parseCidr('10.0.0.0/8'), 1)
      .update(trie, parseCidr('10.1.0.0/16'), 2)
      .update(hash, 1, 10n)
      .update(hash, 1, 11n, 'exist') // after the op before it: replaces
      .update(hash, 2, 20n)
      .delete(hash, 2) // and gone again
      .delete(hash, 9)
      .delete(hash, 12345) // not there: not an error
      .delete(trie, parseCidr('10.0.0.0/8'))
      .update(trie, parseCidr('10.0.0.0/8'), 3, 'noexist') // deleted just before, so it may be created
      .update(array, 3, 33);
    assert.equal(batch.length, 11);
    assert.equal(batch.apply(), 11);
    assert.deepEqual(new Map(hash.entries()), new Map([[1, 11n]]));
    assert.equal(trie.lookup(at('10.1.2.3')), 2, 'the longest prefix');
    assert.equal(trie.lookup(at('10.2.0.1')), 3);
    assert.equal(trie.lookup(at('11.0.0.1')), undefined);
    assert.equal(array.lookup(3), 33);
  });

  it('stops at the first op the kernel refuses: the ops before it stay applied, none after it runs', () => {
    clearAll();
    hash.update(5, 50n);
    const batch = new MapOpBatch()
      .update(hash, 1, 10n)
      .update(trie, parseCidr('192.168.0.0/16'), 7)
      .update(hash, 5, 55n, 'noexist') // 5 exists: EEXIST
      .update(hash, 2, 20n)
      .update(array, 0, 1);
    const err = captureError(() => batch.apply());
    assert.ok(err instanceof MapOpError, String(err));
    assert.ok(err instanceof BpfError);
    assert.equal(err.code, 'EEXIST');
    assert.equal(err.index, 2);
    assert.equal(err.applied, 2);
    assert.equal(err.total, 5);
    assert.equal(err.map, 'ops_hash');
    assert.equal(err.kind, 'update');
    assert.match(err.message, /op 2 of 5, update \(noexist\) on map "ops_hash" \(hash\), failed: .*File exists.*ops 0-1 were applied; ops 2-4 were not/);
    assert.match(err.message, /Hint: the element exists/);
    // Before the failed op: applied. It and after it: not.
    assert.equal(hash.lookup(1), 10n);
    assert.equal(trie.lookup(at('192.168.3.4')), 7);
    assert.equal(hash.lookup(5), 50n);
    assert.equal(hash.lookup(2), undefined);
    assert.equal(array.lookup(0), 0);
  });

  it('reports a refused first op, an LPM prefix past the key, and a delete on an array, each with its errno', () => {
    clearAll();
    const outOfRange = captureError(() => new MapOpBatch().update(array, 4, 1).update(hash, 1, 1n).apply());
    assert.ok(outOfRange instanceof MapOpError);
    assert.equal(outOfRange.index, 0);
    assert.equal(outOfRange.code, 'E2BIG', 'index 4 of a 4-entry array');
    assert.match(outOfRange.message, /no op was applied; ops 0-1 were not/);
    assert.equal(hash.lookup(1), undefined);

    const prefix33 = new Uint8Array([33, 0, 0, 0, 10, 0, 0, 0]);
    const badPrefix = captureError(() => new MapOpBatch().update(hash, 1, 1n).update(rawTrie, prefix33, new Uint8Array(4)).apply());
    assert.ok(badPrefix instanceof MapOpError);
    assert.deepEqual([badPrefix.index, badPrefix.code, badPrefix.map], [1, 'EINVAL', 'ops_raw_trie']);
    assert.match(badPrefix.message, /op 1 of 2, .*op 0 was applied/);
    assert.equal(hash.lookup(1), 1n);

    const arrayDelete = captureError(() => new MapOpBatch().delete(array, 0).apply());
    assert.ok(arrayDelete instanceof MapOpError);
    assert.deepEqual([arrayDelete.index, arrayDelete.kind, arrayDelete.code, arrayDelete.op], [0, 'delete', 'EINVAL', 'bpf_map_delete_elem']);
  });

  it('refuses a key or value the map cannot take when it is added, naming the map; the batch stays usable', () => {
    clearAll();
    const raw = BpfMap.create({ type: 'hash', name: 'ops_raw', keySize: 8, valueSize: 4, maxEntries: 8 });
    made.push(raw);
    const batch = new MapOpBatch().update(raw, new Uint8Array(8).fill(1), new Uint8Array([1, 2, 3, 4]));
    assert.throws(() => batch.update(raw, new Uint8Array(4), new Uint8Array(4)), /map "ops_raw" \(hash\): key: u8\[8\]: got 4 bytes/);
    assert.throws(() => batch.update(raw, new Uint8Array(8), new Uint8Array(5)), /map "ops_raw" \(hash\): value: u8\[4\]: got 5 bytes/);
    assert.throws(() => batch.update(hash, 1, -1n as bigint), /map "ops_hash" \(hash\): value/);
    assert.throws(() => batch.update(hash, 1, 1n, 'sometimes' as 'any'), /update flag "sometimes" is not one of any, noexist, exist, lock/);
    assert.equal(batch.length, 1, 'nothing was added by the refused ops');
    batch.update(raw, new Uint8Array(8).fill(2), new Uint8Array([5, 6, 7, 8]));
    assert.equal(batch.apply(), 2);
    assert.deepEqual([...(raw.lookup(new Uint8Array(8).fill(1)) ?? [])], [1, 2, 3, 4]);
    assert.deepEqual([...(raw.lookup(new Uint8Array(8).fill(2)) ?? [])], [5, 6, 7, 8]);
    assert.equal(raw.lookup(new Uint8Array(8)), undefined, 'no trace of the refused key');
  });

  it('runs again on apply(), empties on clear(), and grows past its first buffers', () => {
    clearAll();
    const batch = new MapOpBatch().update(hash, 1, 1n, 'noexist');
    assert.equal(batch.apply(), 1);
    const again = captureError(() => batch.apply());
    assert.ok(again instanceof MapOpError, 'the same op ran again, and the key exists now');
    assert.equal(again.code, 'EEXIST');
    assert.equal(batch.clear().length, 0);
    assert.equal(batch.apply(), 0);
    // More ops and bytes than the first table and buffer hold: 60 hash entries (12 bytes each) and 60 trie entries.
    for (let i = 0; i < 60; i++) batch.update(hash, 1000 + i, BigInt(i));
    for (let i = 0; i < 60; i++) batch.update(trie, { prefixLen: 24, addr: `10.${i}.0.0` }, i);
    assert.equal(batch.apply(), 120);
    assert.equal(hash.lookup(1059), 59n);
    assert.equal(trie.lookup(at('10.59.0.200')), 59);
    assert.equal([...hash.keys()].length, 61, 'key 1 and the 60 new ones');
  });

  it('prepare() returns a run of the ops as they are then, which later ops and clear() leave alone', () => {
    clearAll();
    const batch = new MapOpBatch().update(hash, 1, 10n).update(array, 1, 11);
    const run = batch.prepare();
    batch.update(hash, 2, 20n);
    assert.equal(hash.lookup(1), undefined, 'prepare() writes nothing');
    batch.clear().update(hash, 3, 30n, 'noexist');
    assert.equal(run(), 2);
    assert.deepEqual([hash.lookup(1), array.lookup(1), hash.lookup(2), hash.lookup(3)], [10n, 11, undefined, undefined]);
    const again = batch.prepare();
    assert.equal(again(), 1);
    const err = captureError(again);
    assert.ok(err instanceof MapOpError);
    assert.deepEqual([err.index, err.total, err.map, err.code], [0, 1, 'ops_hash', 'EEXIST']);
  });

  it('checks every map is open before the first op runs', () => {
    clearAll();
    const other = BpfMap.create({ type: 'hash', name: 'ops_closed', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32, value: u32 });
    made.push(other);
    const batch = new MapOpBatch().update(hash, 1, 1n).update(other, 1, 1);
    other.close();
    const err = captureError(() => batch.apply());
    assert.ok(err instanceof BpfError);
    assert.match(err.message, /map "ops_closed": closed/);
    assert.throws(() => batch.prepare(), /map "ops_closed": closed/, 'prepare() checks them too');
    assert.equal(hash.lookup(1), undefined);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected an error');
}
