// Object lifecycle against the real kernel: open → configure → load → use → close, the verifier
// error for a program the kernel rejects, and the state errors around it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfError, BpfObject, BpfVerifierError, objectPath, u16, u32, u64, u64Number } from '../../src/index.js';
import { loadedPrograms } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

describe('BpfObject lifecycle', { skip: skipUnlessRoot }, () => {
  requireBuilt('test/attach', 'test/verifier_fail', 'test/verifier_long_log', 'test/maps');

  it('opens, lists programs, maps and globals, loads, and closes', async () => {
    const obj = BpfObject.open(objectPath('test/attach'));
    try {
      assert.equal(obj.state, 'opened');
      const progs = obj.programs().map((p) => `${p.name}:${p.type}`);
      assert.deepEqual(progs.sort(), [
        'count_kill:tracepoint',
        'count_kill_raw:raw_tracepoint',
        'count_tc_egress:sched_cls',
        'count_tc_ingress:sched_cls',
        'count_xdp:xdp',
        'on_call:kprobe',
        'on_return:kprobe',
      ]);
      const counters = obj.maps().find((m) => m.name === 'counters');
      assert.deepEqual(counters && { type: counters.type, keySize: counters.keySize, valueSize: counters.valueSize, maxEntries: counters.maxEntries }, {
        type: 'array',
        keySize: 4,
        valueSize: 8,
        maxEntries: 9,
      });
      assert.deepEqual(
        obj.globals().map((g) => [g.name, g.section, g.size, g.type]),
        [
          ['target_tgid', '.rodata', 4, '__u32'],
          ['udp_port', '.rodata', 2, '__u16'],
        ],
      );
      obj.setGlobal('target_tgid', u32, 4242);
      obj.setGlobal('udp_port', u16, 9999);
      assert.equal(obj.getGlobal('target_tgid', u32), 4242);
      assert.equal(obj.getGlobal('udp_port', u16), 9999);
      await obj.load();
      assert.equal(obj.state, 'loaded');
      // .rodata is frozen by the load: the program sees the value set before it.
      assert.equal(obj.getGlobal('target_tgid', u32), 4242);
      assert.throws(() => obj.setGlobal('target_tgid', u32, 1), /read-only once loaded: set it before load\(\)/);
      const info = obj.program('count_kill').info();
      assert.equal(info.type, 'tracepoint');
      assert.ok(loadedPrograms().some((p) => p.id === info.id), 'bpftool lists the loaded program');
      obj.close();
      assert.equal(obj.state, 'closed');
      obj.close(); // idempotent
      assert.throws(() => obj.program('count_kill'), (err: unknown) => err instanceof BpfError && /closed/.test(err.message));
    } finally {
      obj.close();
    }
  });

  it('throws BpfVerifierError naming the rejected program, with the verifier log', async () => {
    const obj = BpfObject.open(objectPath('test/verifier_fail'));
    try {
      await assert.rejects(obj.load(), (err: unknown) => {
        assert.ok(err instanceof BpfVerifierError, `expected BpfVerifierError, got ${String(err)}`);
        assert.equal(err.program, 'deref_without_check');
        assert.equal(err.code, 'EACCES');
        assert.match(err.log, /invalid mem access 'map_value_or_null'/);
        assert.match(err.message, /program "deref_without_check" failed verification \(EACCES\)/);
        assert.match(err.tail(3), /map_value_or_null/);
        assert.equal(err.truncated, false);
        return true;
      });
      assert.equal(obj.state, 'failed');
      assert.throws(() => obj.program('passes_verification'), /load\(\) failed; open the object again/);
    } finally {
      obj.close();
    }
  });

  it('loads the same object once the bad program is left out (autoload off)', async () => {
    const obj = BpfObject.open(objectPath('test/verifier_fail'));
    try {
      obj.setAutoload('deref_without_check', false);
      await obj.load();
      assert.ok(obj.program('passes_verification').fd > 0);
      assert.throws(() => obj.program('deref_without_check'), /was not loaded \(autoload off\)/);
    } finally {
      obj.close();
    }
  });

  it('keeps the tail of a verifier log that outgrows its buffer (kernel >= 6.4), and all of it in a big one', async () => {
    const small = BpfObject.open(objectPath('test/verifier_long_log'));
    try {
      await assert.rejects(small.load({ logSize: 4096 }), (err: unknown) => {
        assert.ok(err instanceof BpfVerifierError);
        assert.equal(err.program, 'long_then_bad');
        // The kernel reports the truncation as ENOSPC; the reason is still at the end of what was kept.
        assert.equal(err.truncated, true);
        assert.equal(err.code, 'ENOSPC');
        assert.ok(err.log.length < 4096);
        assert.match(err.tail(1), /invalid mem access 'map_value_or_null'/);
        return true;
      });
    } finally {
      small.close();
    }
    const big = BpfObject.open(objectPath('test/verifier_long_log'));
    try {
      await assert.rejects(big.load(), (err: unknown) => {
        assert.ok(err instanceof BpfVerifierError);
        assert.equal(err.truncated, false);
        assert.equal(err.code, 'EACCES');
        assert.ok(err.log.length > 16_384, `full log is ${err.log.length} bytes`);
        assert.match(err.log, /^0: R1=ctx\(\) R10=fp0/);
        return true;
      });
    } finally {
      big.close();
    }
  });

  it('sizes maps before load and rejects what only works before or after it', async () => {
    const obj = BpfObject.open(objectPath('test/maps'));
    try {
      assert.throws(() => obj.map('hash_map'), /not loaded yet; call load\(\) first/);
      obj.setMaxEntries('hash_map', 2048);
      await obj.load();
      assert.equal(obj.map('hash_map', { key: u32, value: u64 }).info().maxEntries, 2048);
      assert.throws(() => obj.setMaxEntries('hash_map', 4), /only possible before load\(\)/);
      assert.throws(() => obj.map('no_such_map'), /no map "no_such_map" \(it has .*hash_map/);
      assert.throws(() => obj.program('nope'), /no program "nope" \(it has count_pread\)/);
      assert.throws(() => obj.getGlobal('seen', u32), /global "seen" is __u64 \(8 bytes\); codec u32 is 4 bytes/);
      assert.equal(obj.getGlobal('seen', u64Number), 0);
    } finally {
      obj.close();
    }
  });

  it('says what is wrong with a missing or non-BPF file', () => {
    assert.throws(() => BpfObject.open('/nonexistent/x.bpf.o'), /does not exist: build the programs with `node scripts\/ensure-ebpf.mjs`/);
    assert.throws(
      () => BpfObject.open('/proc/self/exe'),
      (err: unknown) => err instanceof BpfError && err.op === 'bpf_object__open_file' && /open \/proc\/self\/exe/.test(err.message),
    );
  });
});
