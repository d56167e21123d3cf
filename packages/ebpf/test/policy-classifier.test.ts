/**
 * The policy program itself, in the kernel, through BPF_PROG_TEST_RUN: every verdict of the TC
 * (ingress, egress) and XDP programs is checked against the linear-scan meaning of the rules.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyEngine } from '../src/policy/engine.js';
import { evaluatePolicy, type PacketInfo } from '../src/policy/evaluate.js';
import { buildArp, buildPacket, TCP_FLAGS, type PacketSpec } from '../src/policy/packet.js';
import { parseIPv4, parseIPv6 } from '../src/policy/cidr.js';
import { validatePolicy, type Direction } from '../src/policy/rules.js';
import { rng } from './support/rng.js';

const TC_UNSPEC = 0xffffffff; // TC_ACT_UNSPEC (-1) as the u32 retval: allowed, next program
const TC_SHOT = 2;
const XDP_DROP = 1;
const XDP_PASS = 2;

const LOCAL4 = '192.0.2.10';
const LOCAL6 = '2001:db8:ffff::10';

let engine: PolicyEngine;
before(async () => {
  engine = await PolicyEngine.load();
});
after(() => engine?.close());

/** Runs one frame through a program; true when it lets the frame through. */
function passes(dir: Direction | 'xdp', frame: Uint8Array): boolean {
  if (dir === 'xdp') {
    const r = engine.program('policy_xdp_ingress').testRun({ data: frame });
    assert.ok(r.retval === XDP_PASS || r.retval === XDP_DROP, `xdp retval ${r.retval}`);
    return r.retval === XDP_PASS;
  }
  const r = engine.program(dir === 'ingress' ? 'policy_tc_ingress' : 'policy_tc_egress').testRun({ data: frame });
  assert.ok(r.retval === TC_UNSPEC || r.retval === TC_SHOT, `tc retval ${r.retval}`);
  return r.retval === TC_UNSPEC;
}

/** A frame whose remote peer is `remote` for the direction: the source on ingress, the destination on egress. */
function frameFor(dir: Direction, remote: string, rest: Omit<PacketSpec, 'src' | 'dst'>): Buffer {
  const local = remote.includes(':') ? LOCAL6 : LOCAL4;
  return buildPacket(dir === 'ingress' ? { ...rest, src: remote, dst: local } : { ...rest, src: local, dst: remote });
}


test('with no rules installed every packet passes, and non-IP frames always pass', () => {
  assert.equal(passes('ingress', buildPacket({ src: '10.0.0.1', dst: LOCAL4, proto: 'tcp', dport: 22 })), true);
  engine.apply(validatePolicy({ defaultAction: 'deny', rules: [] }, 'test'));
  assert.equal(passes('ingress', buildPacket({ src: '10.0.0.1', dst: LOCAL4, proto: 'tcp', dport: 22 })), false);
  assert.equal(passes('ingress', buildArp()), true, 'ARP must pass or nothing works');
  assert.equal(passes('xdp', buildArp()), true);
});

test('kernel verdicts equal the rules\' meaning for random rule sets, in TC and XDP (seed in POLICY_SEED)', (t) => {
  const seed = Number(process.env.POLICY_SEED ?? Date.now() % 1e9);
  t.diagnostic(`POLICY_SEED=${seed}`);
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const cidrs = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '192.168.0.0/16', '0.0.0.0/0', 'fd00::/8', 'fd00:1::/32', '2001:db8::1/128'];
  const remotes = ['10.1.2.3', '10.1.2.4', '10.2.0.1', '192.168.7.7', '8.8.8.8', 'fd00:1::5', 'fd00:2::1', '2001:db8::1', '2001:db8::2'];
  // Destination ports stay away from 40000, the source port of every frame, so no frame is ever
  // the reply of an earlier one (replies have their own test).
  const bounds = [0, 1, 22, 53, 79, 80, 81, 443, 1024, 8000, 8080, 8100, 65535];
  let checked = 0;
  for (let round = 0; round < 12; round++) {
    const rules = [];
    for (let i = 0; i < 1 + Math.floor(rand() * 12); i++) {
      const protocol = pick(['tcp', 'udp', 'icmp', 'any', 'any'] as const);
      const a = pick(bounds);
      const b = pick(bounds);
      const ports = protocol !== 'icmp' && rand() < 0.7 ? (rand() < 0.5 ? String(a) : `${Math.min(a, b)}-${Math.max(a, b)}`) : undefined;
      rules.push({
        name: `r${i}`,
        priority: pick([1, 5, 10, 100]),
        action: pick(['allow', 'deny'] as const),
        direction: pick(['ingress', 'egress'] as const),
        ...(rand() < 0.8 ? { cidr: pick(cidrs) } : {}),
        protocol,
        ...(ports ? { ports } : {}),
      });
    }
    const spec = validatePolicy({ defaultAction: { ingress: pick(['allow', 'deny']), egress: pick(['allow', 'deny']) }, rules }, `seed ${seed} round ${round}`);
    engine.apply(spec);
    for (let k = 0; k < 60; k++) {
      const remote = pick(remotes);
      const v6 = remote.includes(':');
      const proto = pick(['tcp', 'udp', 'tcp', 'udp', 'icmp', 132] as const);
      const hasPorts = proto === 'tcp' || proto === 'udp';
      const fragment = hasPorts && rand() < 0.1;
      const dport = hasPorts ? pick(bounds) : undefined;
      for (const dir of ['ingress', 'egress', 'xdp'] as const) {
        const direction: Direction = dir === 'xdp' ? 'ingress' : dir;
        const frame = frameFor(direction, remote, { proto, sport: 40000, dport, ...(fragment ? { fragmentOffset: 10 } : {}) });
        const p: PacketInfo = {
          direction,
          family: v6 ? 6 : 4,
          remote: (v6 ? parseIPv6(remote) : parseIPv4(remote)) as Uint8Array,
          proto: proto === 'tcp' ? 6 : proto === 'udp' ? 17 : proto === 'icmp' ? (v6 ? 58 : 1) : proto,
          port: fragment ? undefined : dport,
        };
        const want = evaluatePolicy(spec, p);
        assert.equal(
          passes(dir, frame),
          want.action === 'allow',
          `seed ${seed} round ${round}, ${dir}: ${JSON.stringify({ remote, proto, dport, fragment })} should be ${want.action} by ${want.rule?.name ?? 'the default'}; rules ${JSON.stringify(rules)}`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked >= 2000);
});

test('counters count every packet and byte of the rule that decided it', () => {
  const spec = validatePolicy(
    {
      defaultAction: 'deny',
      rules: [
        { name: 'dns', action: 'allow', protocol: 'udp', ports: 53, cidr: '10.0.0.0/8' },
        { name: 'block-lab', action: 'deny', cidr: '10.9.0.0/16', priority: 1 },
      ],
    },
    'test',
  );
  engine.apply(spec);
  const before = new Map(engine.counters().map((c) => [`${c.rule} ${c.direction}`, c]));
  const dns = buildPacket({ src: '10.1.1.1', dst: LOCAL4, proto: 'udp', dport: 53, payload: 30 });
  const lab = buildPacket({ src: '10.9.1.1', dst: LOCAL4, proto: 'udp', dport: 53, payload: 100 });
  const other = buildPacket({ src: '10.1.1.1', dst: LOCAL4, proto: 'tcp', dport: 25 });
  for (let i = 0; i < 7; i++) assert.equal(passes('ingress', dns), true);
  for (let i = 0; i < 3; i++) assert.equal(passes('ingress', lab), false);
  for (let i = 0; i < 2; i++) assert.equal(passes('xdp', other), false);
  const after = new Map(engine.counters().map((c) => [`${c.rule} ${c.direction}`, c]));
  const delta = (k: string): [bigint, bigint] => [after.get(k)!.packets - (before.get(k)?.packets ?? 0n), after.get(k)!.bytes - (before.get(k)?.bytes ?? 0n)];
  assert.deepEqual(delta('dns ingress'), [7n, 7n * BigInt(dns.length)]);
  assert.deepEqual(delta('block-lab ingress'), [3n, 3n * BigInt(lab.length)]);
  assert.deepEqual(delta('(default) ingress'), [2n, 2n * BigInt(other.length)]);
  assert.deepEqual(delta('(default) egress'), [0n, 0n]);
  assert.equal(after.get('dns ingress')!.action, 'allow');
});

test('a rule change decides the very next packet; counts survive a reload by name', () => {
  const allow = validatePolicy({ defaultAction: 'deny', rules: [{ name: 'web', action: 'allow', protocol: 'tcp', ports: '8080-8081' }] }, 'a');
  const deny = validatePolicy({ defaultAction: 'allow', rules: [{ name: 'web', action: 'deny', protocol: 'tcp', ports: 8080 }, { name: 'new', action: 'deny', protocol: 'tcp', ports: 8081 }] }, 'b');
  const syn = buildPacket({ src: '10.1.1.1', dst: LOCAL4, proto: 'tcp', dport: 8080 });
  engine.apply(allow);
  const web0 = engine.counters().find((c) => c.rule === 'web')!.packets;
  for (let i = 0; i < 5; i++) {
    engine.apply(allow);
    assert.equal(passes('ingress', syn), true, `round ${i}: allowed`);
    engine.apply(deny);
    assert.equal(passes('ingress', syn), false, `round ${i}: denied by the next packet`);
  }
  const web = engine.counters().find((c) => c.rule === 'web')!;
  assert.equal(web.packets - web0, 10n, 'one rule name, one counter, across 11 installs');
  assert.equal(web.action, 'deny');
  assert.equal(engine.counters().find((c) => c.rule === 'new')!.packets, 0n, 'a new rule starts at zero');
});

test('replies of allowed flows pass a default deny, until the rule that allowed them goes', () => {
  const withWeb = validatePolicy({ defaultAction: 'deny', rules: [{ name: 'web', action: 'allow', protocol: 'tcp', ports: 80 }] }, 'test');
  const without = validatePolicy({ defaultAction: 'deny', rules: [{ name: 'ssh', action: 'allow', protocol: 'tcp', ports: 22 }] }, 'test');
  engine.apply(withWeb);
  const client = '10.7.7.7';
  const syn = buildPacket({ src: client, dst: LOCAL4, proto: 'tcp', sport: 51000, dport: 80 });
  const synAck = buildPacket({ src: LOCAL4, dst: client, proto: 'tcp', sport: 80, dport: 51000, tcpFlags: TCP_FLAGS.SYN | TCP_FLAGS.ACK });
  const stray = buildPacket({ src: LOCAL4, dst: client, proto: 'tcp', sport: 80, dport: 51001, tcpFlags: TCP_FLAGS.ACK });
  assert.equal(passes('egress', synAck), false, 'no flow yet: the egress default denies');
  assert.equal(passes('ingress', syn), true);
  const replies0 = engine.counters().find((c) => c.rule === '(reply)' && c.direction === 'egress')!.packets;
  assert.equal(passes('egress', synAck), true, 'the reply of the allowed flow');
  assert.equal(passes('egress', stray), false, 'another port pair is not a reply');
  assert.equal(engine.counters().find((c) => c.rule === '(reply)' && c.direction === 'egress')!.packets - replies0, 1n);
  // Same flow, rules without port 80: the reply is checked again against the new rules and dropped.
  engine.apply(without);
  assert.equal(passes('egress', synAck), false);
  engine.apply(withWeb);
  assert.equal(passes('egress', synAck), false, 'the flow was forgotten when its rule went');
});

test('IPv6, later fragments and ICMP', () => {
  const spec = validatePolicy(
    {
      defaultAction: 'deny',
      rules: [
        { name: 'v6-web', action: 'allow', cidr: 'fd00::/8', protocol: 'tcp', ports: 443 },
        { name: 'all-udp', action: 'allow', cidr: 'fd00::/8', protocol: 'udp' },
        { name: 'ping', action: 'allow', protocol: 'icmp', cidr: '10.0.0.0/8' },
      ],
    },
    'test',
  );
  engine.apply(spec);
  const ingress6 = (rest: Omit<PacketSpec, 'src' | 'dst'>): boolean => passes('ingress', buildPacket({ src: 'fd00::7', dst: LOCAL6, ...rest }));
  assert.equal(ingress6({ proto: 'tcp', dport: 443 }), true);
  assert.equal(ingress6({ proto: 'tcp', dport: 444 }), false);
  assert.equal(ingress6({ proto: 'tcp', dport: 443, fragmentOffset: 0 }), true, 'a first fragment has its ports');
  assert.equal(ingress6({ proto: 'tcp', dport: 443, fragmentOffset: 3 }), false, 'a later fragment matches only rules without ports');
  assert.equal(ingress6({ proto: 'udp', dport: 9, fragmentOffset: 3 }), true);
  assert.equal(passes('ingress', buildPacket({ src: '10.1.1.1', dst: LOCAL4, proto: 'icmp' })), true);
  assert.equal(passes('ingress', buildPacket({ src: '11.1.1.1', dst: LOCAL4, proto: 'icmp' })), false);
  assert.equal(passes('xdp', buildPacket({ src: '10.1.1.1', dst: LOCAL4, proto: 'udp', dport: 9, fragmentOffset: 5 })), false);
});
