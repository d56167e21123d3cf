import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, precedenceOrder, resolvePorts } from '../src/policy/compile.js';
import { evaluatePolicy, type PacketInfo } from '../src/policy/evaluate.js';
import { POLICY, PROTO } from '../src/policy/maps.js';
import { classify as simulate } from './fixtures/policy/lpm-sim.js';
import { portBlocks } from '../src/policy/port-blocks.js';
import { RuleSlots } from '../src/policy/rule-slots.js';
import { parseCidr, parseIPv4, parseIPv6 } from '../src/policy/cidr.js';
import { validatePolicy, type PolicySpec } from '../src/policy/rules.js';
import { rng } from './support/rng.js';

/** What policy.bpf.c's classify() answers, over compiled map contents. */
function classify(c: ReturnType<typeof compilePolicy>, p: PacketInfo): { action: 'allow' | 'deny'; slot: number } {
  return simulate(c.addr, c.port, c.settings.defaultAction, p);
}

function compileWithSlots(spec: PolicySpec): ReturnType<typeof compilePolicy> {
  const slots = new RuleSlots().assign(spec.rules.map((r) => r.name));
  return compilePolicy(spec, (n) => slots.get(n) as number);
}

const v4 = (s: string): Uint8Array => parseIPv4(s) as Uint8Array;
const v6 = (s: string): Uint8Array => parseIPv6(s) as Uint8Array;

test('portBlocks covers a range exactly with aligned blocks', () => {
  assert.deepEqual(portBlocks(80, 80), [{ port: 80, bits: 16 }]);
  assert.deepEqual(portBlocks(0, 65535), [{ port: 0, bits: 0 }]);
  // 8000-8063, 8064-8095, 8096-8099, 8100.
  assert.deepEqual(portBlocks(8000, 8100), [
    { port: 8000, bits: 10 },
    { port: 8064, bits: 11 },
    { port: 8096, bits: 14 },
    { port: 8100, bits: 16 },
  ]);
  for (const [from, to] of [[1, 65534], [1023, 1025], [3, 9], [65535, 65535]]) {
    const blocks = portBlocks(from, to);
    assert.ok(blocks.length <= 30, `${from}-${to}: ${blocks.length} blocks`);
    let next = from;
    for (const b of blocks) {
      const size = 2 ** (16 - b.bits);
      assert.equal(b.port, next, `${from}-${to} is contiguous`);
      assert.equal(b.port % size, 0, `block ${b.port}/${b.bits} is aligned`);
      next += size;
    }
    assert.equal(next, to + 1);
  }
  assert.throws(() => portBlocks(10, 9), /not within/);
});

test('resolvePorts picks the best-ranked rule per port and merges equal neighbours', () => {
  assert.deepEqual(resolvePorts([{ rank: 1, from: 0, to: 65535 }, { rank: 0, from: 80, to: 80 }]), [
    { from: 0, to: 79, rank: 1 },
    { from: 80, to: 80, rank: 0 },
    { from: 81, to: 65535, rank: 1 },
  ]);
  // A worse rule under a better one contributes nothing; gaps stay gaps.
  assert.deepEqual(resolvePorts([{ rank: 0, from: 100, to: 200 }, { rank: 3, from: 150, to: 160 }, { rank: 2, from: 300, to: 300 }]), [
    { from: 100, to: 200, rank: 0 },
    { from: 300, to: 300, rank: 2 },
  ]);
  assert.deepEqual(resolvePorts([{ rank: 2, from: 10, to: 20 }, { rank: 2, from: 21, to: 30 }]), [{ from: 10, to: 30, rank: 2 }]);
});

test('precedence: lower priority number, then deny, then order in the file', () => {
  const spec = validatePolicy(
    {
      defaultAction: 'allow',
      rules: [
        { name: 'a', priority: 10, action: 'allow' },
        { name: 'b', priority: 10, action: 'deny' },
        { name: 'c', priority: 5, action: 'allow' },
        { name: 'd', priority: 10, action: 'deny' },
      ],
    },
    'inline',
  );
  assert.deepEqual(
    precedenceOrder(spec.rules).map((r) => r.rule.name),
    ['c', 'b', 'd', 'a'],
  );
});

test('nested CIDRs: the most specific CIDR holds every enclosing rule', () => {
  const spec = validatePolicy(
    {
      defaultAction: 'deny',
      rules: [
        { name: 'corp-web', priority: 100, action: 'allow', cidr: '10.0.0.0/8', protocol: 'tcp', ports: '80' },
        { name: 'lab-ssh', priority: 100, action: 'allow', cidr: '10.1.0.0/16', protocol: 'tcp', ports: 22 },
        { name: 'bad-host', priority: 1, action: 'deny', cidr: '10.1.2.3/32' },
        { name: 'dns', priority: 200, action: 'allow', protocol: 'udp', ports: '53' },
      ],
    },
    'inline',
  );
  const c = compileWithSlots(spec);
  const pkt = (addr: string, proto: number, port?: number): PacketInfo => ({ direction: 'ingress', family: 4, remote: v4(addr), proto, port });
  const name = (slot: number): string | undefined => [...c.slots].find(([, s]) => s === slot)?.[0];
  // 10.1.9.9 is in both /8 and /16: web and ssh; and dns (any address).
  assert.equal(name(classify(c, pkt('10.1.9.9', PROTO.TCP, 80)).slot), 'corp-web');
  assert.equal(name(classify(c, pkt('10.1.9.9', PROTO.TCP, 22)).slot), 'lab-ssh');
  assert.equal(name(classify(c, pkt('10.1.9.9', PROTO.UDP, 53)).slot), 'dns');
  assert.deepEqual(classify(c, pkt('10.1.9.9', PROTO.TCP, 23)), { action: 'deny', slot: POLICY.SLOT_DEFAULT_INGRESS });
  // ssh is only for 10.1/16.
  assert.equal(classify(c, pkt('10.2.0.1', PROTO.TCP, 22)).slot, POLICY.SLOT_DEFAULT_INGRESS);
  // The /32 deny beats everything for its host, every protocol.
  for (const [proto, port] of [[PROTO.TCP, 80], [PROTO.UDP, 53], [PROTO.ICMP, undefined], [132, undefined]] as const) {
    const v = classify(c, pkt('10.1.2.3', proto, port));
    assert.equal(v.action, 'deny');
    assert.equal(name(v.slot), 'bad-host');
  }
  // Outside 10/8 only dns applies.
  assert.equal(name(classify(c, pkt('192.0.2.1', PROTO.UDP, 53)).slot), 'dns');
  assert.equal(classify(c, pkt('192.0.2.1', PROTO.TCP, 80)).slot, POLICY.SLOT_DEFAULT_INGRESS);
  // Classes: {web}, {web,ssh}, {web,ssh,bad,dns}... one addr entry per distinct CIDR and family.
  assert.equal(c.stats.addrEntries, 5); // 3 IPv4 CIDRs + the IPv4 and IPv6 "any" of dns
});

test('flows are tracked only where the other direction can drop replies', () => {
  const base = { rules: [{ name: 'web', action: 'allow', protocol: 'tcp', ports: 80 }] };
  let c = compileWithSlots(validatePolicy({ ...base, defaultAction: 'deny' }, 'x'));
  assert.deepEqual(c.settings.trackFlows, { ingress: true, egress: true });
  c = compileWithSlots(validatePolicy({ ...base, defaultAction: { ingress: 'deny', egress: 'allow' } }, 'x'));
  assert.deepEqual(c.settings.trackFlows, { ingress: false, egress: true });
  c = compileWithSlots(validatePolicy({ defaultAction: 'allow', rules: [{ name: 'no-out', action: 'deny', direction: 'egress', cidr: '10.0.0.0/8' }] }, 'x'));
  assert.deepEqual(c.settings.trackFlows, { ingress: true, egress: false });
});

test('rule slots survive reloads and freed ones are reused only after release', () => {
  const s = new RuleSlots();
  const first = s.assign(['a', 'b', 'c']);
  assert.deepEqual([...first.values()], [8, 9, 10]);
  const second = s.assign(['c', 'a', 'd']);
  assert.equal(second.get('a'), 8);
  assert.equal(second.get('c'), 10);
  assert.equal(second.get('d'), 11, 'b was freed in this round and is not reused yet');
  assert.deepEqual(s.takeFreed(), [9]);
  s.release([9]);
  assert.equal(s.assign(['a', 'c', 'd', 'e']).get('e'), 9);
});


test('compiled maps decide like the linear scan, on random rule sets (seed in POLICY_SEED)', (t) => {
  const seed = Number(process.env.POLICY_SEED ?? Date.now() % 1e9);
  t.diagnostic(`POLICY_SEED=${seed}`);
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const cidrs = [undefined, '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '10.1.3.0/24', '192.168.0.0/16', '0.0.0.0/0', 'fd00::/8', 'fd00:1::/32', '2001:db8::1/128'];
  const addrs: { family: 4 | 6; addr: Uint8Array }[] = ['10.1.2.3', '10.1.2.4', '10.1.3.9', '10.2.0.1', '192.168.7.7', '8.8.8.8'].map((a) => ({ family: 4 as const, addr: v4(a) }));
  addrs.push(...['fd00:1::5', 'fd00:2::1', '2001:db8::1', '2001:db8::2'].map((a) => ({ family: 6 as const, addr: v6(a) })));
  const bounds = [0, 1, 21, 22, 23, 53, 79, 80, 81, 443, 1023, 1024, 8000, 8080, 8100, 65534, 65535];
  for (let round = 0; round < 60; round++) {
    const n = 1 + Math.floor(rand() * 14);
    const rules = [];
    for (let i = 0; i < n; i++) {
      const protocol = pick(['tcp', 'udp', 'icmp', 'any', 'any'] as const);
      let ports: string | undefined;
      if (protocol !== 'icmp' && rand() < 0.7) {
        const a = pick(bounds);
        const b = pick(bounds);
        ports = rand() < 0.5 ? String(a) : `${Math.min(a, b)}-${Math.max(a, b)}`;
      }
      rules.push({
        name: `r${i}`,
        priority: pick([1, 5, 5, 10, 100]),
        action: pick(['allow', 'deny'] as const),
        direction: pick(['ingress', 'ingress', 'egress'] as const),
        ...(pick(cidrs) !== undefined ? { cidr: pick(cidrs.slice(1)) } : {}),
        protocol,
        ...(ports ? { ports } : {}),
      });
    }
    const spec = validatePolicy({ defaultAction: { ingress: pick(['allow', 'deny']), egress: pick(['allow', 'deny']) }, rules }, `seed ${seed} round ${round}`);
    const c = compileWithSlots(spec);
    for (let k = 0; k < 150; k++) {
      const a = pick(addrs);
      const proto = pick([PROTO.TCP, PROTO.UDP, PROTO.TCP, PROTO.UDP, a.family === 4 ? PROTO.ICMP : PROTO.ICMPV6, 132]);
      const hasPort = (proto === PROTO.TCP || proto === PROTO.UDP) && rand() < 0.9;
      const port = hasPort ? (rand() < 0.8 ? pick(bounds) : Math.floor(rand() * 65536)) : undefined;
      const p: PacketInfo = { direction: pick(['ingress', 'egress'] as const), family: a.family, remote: a.addr, proto, port };
      const want = evaluatePolicy(spec, p);
      const got = classify(c, p);
      const wantSlot = want.rule ? c.slots.get(want.rule.name) : p.direction === 'ingress' ? POLICY.SLOT_DEFAULT_INGRESS : POLICY.SLOT_DEFAULT_EGRESS;
      assert.deepEqual(
        got,
        { action: want.action, slot: wantSlot },
        `seed ${seed} round ${round}: packet ${JSON.stringify({ ...p, remote: Buffer.from(p.remote).toString('hex') })} rules ${JSON.stringify(rules)}`,
      );
    }
  }
});

test('10,000 rules compile to bounded map sizes', () => {
  const rules = [];
  for (let i = 0; i < 10000; i++) {
    const cidr = `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
    rules.push(i % 3 === 0 ? { name: `r${i}`, action: 'allow', cidr, protocol: 'tcp', ports: `${8000 + (i % 50)}-${8100 + (i % 50)}` } : { name: `r${i}`, action: i % 2 ? 'allow' : 'deny', cidr, protocol: 'udp', ports: 1000 + (i % 1000) });
  }
  const spec = validatePolicy({ defaultAction: 'deny', rules }, 'generated');
  const c = compileWithSlots(spec);
  assert.equal(c.stats.rules, 10000);
  assert.equal(c.stats.addrEntries, 10000);
  assert.ok(c.stats.portEntries <= POLICY.MAX_PORT_ENTRIES);
  const p: PacketInfo = { direction: 'ingress', family: 4, remote: v4('10.0.3.9'), proto: PROTO.TCP, port: 8050 };
  assert.equal(classify(c, p).action, evaluatePolicy(spec, p).action);
  assert.equal(parseCidr('10.0.3.0/24').prefixLen, 24);
});

test('map keys are the bytes of policy.h structs, in hex', () => {
  const spec = validatePolicy(
    {
      defaultAction: 'deny',
      rules: [
        { name: 'web', action: 'allow', cidr: '10.0.0.0/8', protocol: 'tcp', ports: 80 },
        { name: 'out', action: 'deny', direction: 'egress' },
      ],
    },
    'inline',
  );
  const c = compilePolicy(spec, (n) => (n === 'web' ? 8 : 9));
  // struct policy_addr_key: prefixlen (u32, host order) = 32 fixed bits + the CIDR's, dir, family, pad[2], addr[16].
  assert.deepEqual([...c.addr], [
    ['28000000' + '00' + '04' + '0000' + '0a000000' + '00'.repeat(12), 1],
    ['20000000' + '01' + '04' + '0000' + '00'.repeat(16), 2],
    ['20000000' + '01' + '06' + '0000' + '00'.repeat(16), 2],
  ]);
  // struct policy_port_key: prefixlen, class (big-endian), proto, port (big-endian), pad.
  // Values: slot | action << 16 (allow 1, deny 2).
  assert.deepEqual([...c.port], [
    ['38000000' + '00000001' + '06' + '0050' + '00', 8 | (1 << 16)], // class 1, tcp, port 80: 40 + 16 bits
    ['20000000' + '00000002' + '00000000', 9 | (2 << 16)], // class 2, class-wide (any protocol, no ports): 32 bits
  ]);
  assert.deepEqual([...c.classDirection], [[1, 'ingress'], [2, 'egress']]);
  assert.equal(c.classDirection.get(3), undefined);
  assert.deepEqual([...c.slots], [['web', 8], ['out', 9]]);
});
