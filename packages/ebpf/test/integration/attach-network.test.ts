// TC and XDP attachments on a veth pair between two network namespaces the test creates and
// deletes. The programs count UDP datagrams to one port; the test process attaches from its own
// namespace into namespace B (netns option), datagrams are sent from the other side, and detaching
// stops the counting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BpfError, BpfObject, kernelHasTcx, objectPath, u16, u32, u64Number, type BpfMap } from '../../src/index.js';
import { activeLinks, waitFor } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';
import { createVethPair, sendUdp, type VethPair } from './support/netns.js';

const TC_INGRESS = 6;
const TC_EGRESS = 7;
const XDP_PACKETS = 8;
const PORT = 40_404;

describe('TC and XDP attachments in a network namespace', { skip: skipUnlessRoot }, () => {
  let obj: BpfObject;
  let counters: BpfMap<number, number>;
  let net: VethPair;

  before(async () => {
    requireBuilt('test/attach');
    net = createVethPair();
    obj = BpfObject.open(objectPath('test/attach'));
    obj.setGlobal('udp_port', u16, PORT);
    await obj.load();
    counters = obj.map('counters', { key: u32, value: u64Number });
  });

  after(() => {
    obj?.close();
    net?.remove();
  });

  const count = (i: number): number => counters.lookup(i) ?? -1;
  /**
   * Veth delivery finishes in softirq context, possibly after the sender has exited: wait for the
   * count to reach what was sent, then check it is exactly that.
   */
  async function expectCount(i: number, start: number, n: number, what: string): Promise<void> {
    await waitFor(`${what}: ${n} datagrams counted`, () => count(i) - start >= n, 10_000).catch(() => undefined);
    assert.equal(count(i) - start, n, what);
  }

  /**
   * Sends through a witness program that is still attached and waits until it has seen the
   * datagrams: then a detached program's unchanged count means something.
   */
  async function sendSeenBy(witness: 'xdp-b' | 'xdp-a' | 'tc-b', send: () => void, n: number): Promise<void> {
    const link =
      witness === 'tc-b'
        ? obj.program('count_tc_ingress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress' })
        : obj.program('count_xdp').attachXdp({ interface: witness === 'xdp-b' ? net.ifB : net.ifA, netns: witness === 'xdp-b' ? net.nsB : net.nsA, mode: 'generic' });
    try {
      const index = witness === 'tc-b' ? TC_INGRESS : XDP_PACKETS;
      const start = count(index);
      send();
      await expectCount(index, start, n, `witness ${witness}`);
    } finally {
      link.close();
    }
  }
  const toB = (n: number): void => sendUdp(net.nsA, net.addrB, PORT, n);
  const fromB = (n: number): void => sendUdp(net.nsB, net.addrA, PORT, n);

  it('tcx ingress and egress: count, detach, stop counting', async () => {
    assert.ok(kernelHasTcx(), 'this test expects a kernel with tcx (>= 6.6)');
    const ingress = obj.program('count_tc_ingress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress' });
    const egress = obj.program('count_tc_egress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'egress', mode: 'tcx' });
    try {
      assert.equal(ingress.kind, 'tcx');
      assert.equal(ingress.info().type, 'tcx');
      // bpftool 7.1 predates tcx and prints its link type as a number: the id is what matters here.
      assert.ok(activeLinks().some((l) => l.id === ingress.info().id && l.prog_id === obj.program('count_tc_ingress').info().id));
      const [in0, out0] = [count(TC_INGRESS), count(TC_EGRESS)];
      toB(12);
      fromB(5);
      await expectCount(TC_INGRESS, in0, 12, 'ingress');
      await expectCount(TC_EGRESS, out0, 5, 'egress');
      ingress.detach();
      egress.detach();
      await sendSeenBy('xdp-b', () => toB(3), 3);
      await sendSeenBy('xdp-a', () => fromB(3), 3);
      assert.equal(count(TC_INGRESS) - in0, 12, 'ingress stopped counting');
      assert.equal(count(TC_EGRESS) - out0, 5, 'egress stopped counting');
    } finally {
      ingress.close();
      egress.close();
    }
  });

  it('tcx anchors: a program attached before another runs first', async () => {
    const tail = obj.program('count_tc_ingress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress', anchor: 'tail' });
    const head = obj.program('count_tc_egress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress', anchor: { before: tail } });
    try {
      const [tail0, head0] = [count(TC_INGRESS), count(TC_EGRESS)];
      toB(4);
      // The head program runs first; its return value 0 is TCX_PASS, which ends the chain, so the
      // tail program never sees these datagrams.
      await expectCount(TC_EGRESS, head0, 4, 'the program anchored before ran');
      assert.equal(count(TC_INGRESS) - tail0, 0, 'the program after it did not');
      head.detach();
      toB(2);
      await expectCount(TC_INGRESS, tail0, 2, 'with the head gone, the tail program runs');
      assert.throws(
        () => obj.program('count_tc_ingress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress', expectedRevision: 1 }),
        (err: unknown) => err instanceof BpfError && err.code === 'ESTALE',
      );
    } finally {
      head.close();
      tail.close();
    }
  });

  it('clsact (classic tc filter): counts, detach removes the filter', async () => {
    const link = obj.program('count_tc_ingress').attachTc({ interface: net.ifB, netns: net.nsB, direction: 'ingress', mode: 'clsact' });
    try {
      assert.equal(link.kind, 'tc_clsact');
      const info = link.info();
      assert.equal(info.type, 'tc_clsact');
      assert.ok((info.handle ?? 0) > 0 && (info.priority ?? 0) > 0);
      assert.throws(() => link.pin('/sys/fs/bpf/keelson-never'), /clsact tc filter is not a BPF link and cannot be pinned/);
      const start = count(TC_INGRESS);
      toB(7);
      await expectCount(TC_INGRESS, start, 7, 'clsact ingress');
      link.detach();
      await sendSeenBy('xdp-b', () => toB(2), 2);
      assert.equal(count(TC_INGRESS) - start, 7);
    } finally {
      link.close();
    }
  });

  for (const mode of ['generic', 'native'] as const) {
    it(`XDP (${mode}): counts received datagrams, detach stops it`, async () => {
      const link = obj.program('count_xdp').attachXdp({ interface: net.ifB, netns: net.nsB, mode });
      try {
        assert.equal(link.info().type, 'xdp');
        const start = count(XDP_PACKETS);
        toB(9);
        await expectCount(XDP_PACKETS, start, 9, `xdp ${mode}`);
        link.detach();
        const seen = count(TC_INGRESS);
        await sendSeenBy('tc-b', () => toB(2), 2);
        assert.equal(count(TC_INGRESS) - seen, 2);
        assert.equal(count(XDP_PACKETS) - start, 9);
      } finally {
        link.close();
      }
    });
  }

  it('XDP: a second program on the same interface is refused while the first holds it', () => {
    const first = obj.program('count_xdp').attachXdp({ interface: net.ifB, netns: net.nsB, mode: 'generic' });
    try {
      assert.throws(
        () => obj.program('count_xdp').attachXdp({ interface: net.ifB, netns: net.nsB, mode: 'generic' }),
        (err: unknown) => err instanceof BpfError && err.code === 'EBUSY' && /another XDP program is attached/.test(err.message),
      );
    } finally {
      first.close();
    }
  });

  it('interfaces are looked up in the namespace given', () => {
    assert.throws(
      () => obj.program('count_xdp').attachXdp({ interface: net.ifB, mode: 'generic' }),
      (err: unknown) => err instanceof BpfError && err.code === 'ENODEV' && /no interface "veth-b" in this process's network namespace/.test(err.message),
    );
    assert.throws(() => obj.program('count_xdp').attachXdp({ interface: 'veth-b', netns: 'keelson-no-such-ns' }), /no network namespace named "keelson-no-such-ns"/);
  });
});
