// BPF_PROG_TEST_RUN: programs run in the kernel on data the test gives, without attaching.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BpfError, BpfObject, objectPath, u64Number } from '../../src/index.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const XDP_DROP = 1;
const XDP_PASS = 2;
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;

function frame(first: number, length = 64): Uint8Array {
  const f = new Uint8Array(length);
  f[0] = first;
  f[12] = 0x08; // ethertype IPv4, for the TC program's skb
  return f;
}

describe('program.testRun (BPF_PROG_TEST_RUN)', { skip: skipUnlessRoot }, () => {
  let obj: BpfObject;

  before(async () => {
    requireBuilt('test/test_run');
    obj = BpfObject.open(objectPath('test/test_run'));
    await obj.load();
  });

  after(() => obj?.close());

  it('returns the XDP verdict and the packet as the program left it', () => {
    const prog = obj.program('drop_marked');
    const pass = prog.testRun({ data: frame(0x01) });
    assert.equal(pass.retval, XDP_PASS);
    assert.equal(pass.data?.length, 64);
    assert.equal(pass.data?.[1], 0x42, 'the program stamped byte 1');
    assert.equal(pass.data?.[0], 0x01);
    assert.equal(prog.testRun({ data: frame(0xff) }).retval, XDP_DROP);
  });

  it('repeats: the program runs that many times, duration is the average per run', () => {
    const before = obj.getGlobal('runs', u64Number);
    const r = obj.program('drop_marked').testRun({ data: frame(0x01), repeat: 1000 });
    assert.equal(r.retval, XDP_PASS);
    assert.ok(Number.isInteger(r.duration) && r.duration >= 0);
    assert.equal(obj.getGlobal('runs', u64Number) - before, 1000);
  });

  it('runs on the threadpool with testRunAsync', async () => {
    const before = obj.getGlobal('runs', u64Number);
    const r = await obj.program('drop_marked').testRunAsync({ data: frame(0xff), repeat: 200 });
    assert.equal(r.retval, XDP_DROP);
    assert.equal(obj.getGlobal('runs', u64Number) - before, 200);
  });

  it('TC programs see an skb built from the data', () => {
    const prog = obj.program('tc_len');
    assert.equal(prog.testRun({ data: frame(0, 40) }).retval, TC_ACT_SHOT);
    assert.equal(prog.testRun({ data: frame(0, 100) }).retval, TC_ACT_OK);
  });

  it('reports bad input with the errno', () => {
    assert.throws(
      () => obj.program('drop_marked').testRun({ data: new Uint8Array(4) }),
      (err: unknown) => err instanceof BpfError && err.code === 'EINVAL' && /program "drop_marked": test run/.test(err.message),
    );
    assert.throws(() => obj.program('drop_marked').testRun({ data: frame(1), repeat: -1 }), /repeat must be a non-negative integer/);
  });
});
