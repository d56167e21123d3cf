// Error mapping from the addon's errors to BpfError/BpfVerifierError (pure logic).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfError, BpfVerifierError, errnoName, fromNative, hintFor } from '../src/errors.js';

function nativeError(props: Record<string, unknown>): Error {
  return Object.assign(new Error(String(props.message ?? 'bpf_map_update_elem: File exists')), props);
}

describe('errors', () => {
  it('names errno values', () => {
    assert.equal(errnoName(1), 'EPERM');
    assert.equal(errnoName(13), 'EACCES');
    assert.equal(errnoName(524), 'ENOTSUPP');
  });

  it('turns an addon error into a BpfError with context and a hint', () => {
    const err = fromNative(nativeError({ errno: 17, op: 'bpf_map_update_elem' }), 'map "m" (hash): update (noexist)');
    assert.ok(err instanceof BpfError);
    assert.equal(err.code, 'EEXIST');
    assert.equal(err.op, 'bpf_map_update_elem');
    assert.match(err.message, /^map "m" \(hash\): update \(noexist\): bpf_map_update_elem: File exists/);
    assert.match(err.message, /Hint: the element exists/);
  });

  it('adds what libbpf printed', () => {
    const err = fromNative(
      nativeError({ message: 'bpf_object__load: Invalid argument', errno: 22, op: 'bpf_object__load', libbpfLog: "libbpf: map 'big': failed to create: Invalid argument(-22)\n" }),
      'load',
    ) as BpfError;
    assert.match(err.message, /libbpf: map 'big': failed to create/);
    assert.match(err.libbpfLog, /failed to create/);
  });

  it('makes a BpfVerifierError when there is a verifier log', () => {
    const log = "0: R1=ctx()\n7: (79) r1 = *(u64 *)(r0 +0)\nR0 invalid mem access 'map_value_or_null'\nprocessed 8 insns (limit 1000000)\n";
    const err = fromNative(nativeError({ message: 'bpf_object__load: Permission denied', errno: 13, op: 'bpf_object__load', program: 'p', verifierLog: log, logTruncated: false }), 'load');
    assert.ok(err instanceof BpfVerifierError);
    assert.equal(err.program, 'p');
    assert.equal(err.log, log);
    assert.equal(err.message, "program \"p\" failed verification (EACCES): 7: (79) r1 = *(u64 *)(r0 +0) | R0 invalid mem access 'map_value_or_null'");
    assert.equal(err.tail(1), "R0 invalid mem access 'map_value_or_null'");
  });

  it('finds the program in libbpf\'s words when the addon could not', () => {
    const err = fromNative(nativeError({ errno: 13, op: 'bpf_object__load', verifierLog: 'x\n', libbpfLog: "libbpf: prog 'q': BPF program load failed: Permission denied\n" }), 'load');
    assert.ok(err instanceof BpfVerifierError);
    assert.equal(err.program, 'q');
  });

  it('passes non-errno errors through', () => {
    const t = new TypeError('key must be a Uint8Array');
    assert.equal(fromNative(t, 'x'), t);
  });

  it('hints fit the operation', () => {
    assert.match(hintFor(1, 'attach')!, /run as root/);
    assert.match(hintFor(2, 'bpf_program__attach_tracepoint')!, /no such tracepoint/);
    assert.match(hintFor(16, 'BPF_LINK_CREATE xdp')!, /another XDP program/);
    assert.equal(hintFor(16, 'other'), undefined);
  });
});
