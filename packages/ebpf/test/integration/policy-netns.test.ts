/**
 * The policy engine on a real veth pair between two network namespaces: real TCP connects and
 * UDP datagrams, rules from a YAML file that the test edits, counters read back from the kernel
 * and through Prometheus. The namespaces (and with them the veth pair) are removed at the end,
 * also on failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { PolicyEngine } from '../../src/policy/engine.js';
import { watchPolicyFile } from '../../src/policy/file-source.js';
import { PolicyMetrics } from '../../src/policy/metrics.js';
import { runPolicy } from '../../src/policy/run.js';
import { createVethPair, type VethPair } from '../fixtures/policy/veth-pair.js';
import type { Link } from '../../src/link.js';

let pair: VethPair;
let engine: PolicyEngine;
let dir: string;
let links: Link[] = [];
const ac = new AbortController();
let loop: Promise<void> | undefined;
let applied = 0;
const errors: Error[] = [];
const registry = new Registry();

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rulesYaml(p: VethPair, port8081: 'allow' | 'deny'): string {
  return `defaultAction: deny
rules:
  - name: web
    action: allow
    cidr: ${p.clientAddr.replace(/\.1$/, '.0')}/24
    protocol: tcp
    ports: "8080-8081"
    priority: 100
  - name: block-8081
    action: ${port8081}
    protocol: tcp
    ports: 8081
    priority: 50
  - name: block-host
    action: deny
    cidr: ${p.clientAddr2}/32
    priority: 1
  - name: udp-9000
    action: allow
    protocol: udp
    ports: 9000
`;
}

async function connect(from: string, port: number): Promise<boolean> {
  // A dropped SYN is retried by the kernel after 1 s; 2.5 s lets an allowed connect through even
  // if its first SYN met a rule change, and is long enough on a loaded machine.
  const r = await pair.client.request({ op: 'connect', host: pair.serverAddr, port, localAddress: from, timeoutMs: 2500 });
  return r.ok;
}

const counter = (rule: string, direction = 'ingress'): { packets: bigint; bytes: bigint } => {
  const c = engine.counters().find((x) => x.rule === rule && x.direction === direction);
  assert.ok(c, `counter of ${rule} ${direction}`);
  return c;
};

before(async () => {
  pair = await createVethPair();
  dir = mkdtempSync(join(tmpdir(), 'keelson-policy-netns-'));
  engine = await PolicyEngine.load();
  new PolicyMetrics(() => engine.counters(), { registry });
  for (const port of [8080, 8081]) assert.equal((await pair.server.request({ op: 'listen-tcp', port })).ok, true);
  assert.equal((await pair.server.request({ op: 'listen-udp', port: 9000 })).ok, true);
});

after(async () => {
  ac.abort();
  await loop?.catch(() => {});
  try {
    engine?.close();
  } finally {
    pair?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

test('without the policy everything connects', async () => {
  assert.equal(await connect(pair.clientAddr, 8080), true);
  assert.equal(await connect(pair.clientAddr, 8081), true);
  assert.equal(await connect(pair.clientAddr2, 8080), true);
});

test('TC: an allowed port connects, a denied port and a denied CIDR do not', async () => {
  links = engine.attach({ interface: pair.serverIf, netns: pair.serverNs });
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, rulesYaml(pair, 'deny'));
  loop = runPolicy(engine, watchPolicyFile(file, { signal: ac.signal }), { onApplied: () => applied++, onError: (e) => errors.push(e) });
  await waitFor('the first rule set', () => applied === 1);

  const web0 = counter('web').packets;
  assert.equal(await connect(pair.clientAddr, 8080), true, 'allowed: tcp 8080 from the /24');
  assert.ok(counter('web').packets > web0, 'the web rule counted the connection');
  // Egress default is deny: the server's replies got out as replies of the allowed flow.
  assert.ok(counter('(reply)', 'egress').packets > 0n);

  const blocked0 = counter('block-8081').packets;
  assert.equal(await connect(pair.clientAddr, 8081), false, 'denied: the higher-priority rule for 8081');
  assert.ok(counter('block-8081').packets > blocked0, 'the SYNs were dropped by block-8081');

  const host0 = counter('block-host').packets;
  assert.equal(await connect(pair.clientAddr2, 8080), false, 'denied: the /32 of the second client address');
  assert.ok(counter('block-host').packets > host0);
});

test('counters match the packets sent, in the kernel and in Prometheus', async () => {
  const before = counter('udp-9000');
  const received0 = (await pair.server.request({ op: 'udp-received', port: 9000 })).count as number;
  const count = 37;
  const size = 50;
  assert.equal((await pair.client.request({ op: 'send-udp', host: pair.serverAddr, port: 9000, count, size, localAddress: pair.clientAddr })).ok, true);
  await waitFor('the datagrams to arrive', () => counter('udp-9000').packets - before.packets >= BigInt(count));
  const now = counter('udp-9000');
  assert.equal(now.packets - before.packets, BigInt(count));
  assert.equal(now.bytes - before.bytes, BigInt(count * (14 + 20 + 8 + size)), 'Ethernet + IPv4 + UDP + payload per datagram');
  await waitFor('the server to read them', async () => (await pair.server.request({ op: 'udp-received', port: 9000 })).count === received0 + count);
  const text = await registry.metrics();
  const m = new RegExp(`keelson_policy_packets_total\\{rule="udp-9000",action="allow",direction="ingress"\\} (\\d+)`).exec(text);
  assert.ok(m, text);
  assert.equal(BigInt(m[1]), now.packets);
});

test('an edit of the rules file takes effect on the next packet', async () => {
  writeFileSync(join(dir, 'rules.yaml'), rulesYaml(pair, 'allow'));
  await waitFor('the edited rule set', () => applied === 2);
  assert.equal(await connect(pair.clientAddr, 8081), true, 'now allowed');
  // A broken edit is refused; the rules in force stay.
  writeFileSync(join(dir, 'rules.yaml'), 'defaultAction: deny\nrules:\n  - name: x\n    action: perhaps\n');
  await waitFor('the refusal', () => errors.length === 1);
  assert.match(errors[0].message, /rules\.yaml:4:5: rules\[0\]\.action: "perhaps" is not an action/);
  assert.equal(await connect(pair.clientAddr, 8081), true, 'still the last good rules');
  assert.equal(engine.generation, 2);
});

test('XDP on ingress enforces the same rules', async () => {
  // Swap the TC ingress program for XDP (native mode on veth), keep TC egress.
  const ingress = links.find((l) => l.program === 'policy_tc_ingress');
  ingress?.close();
  engine.attach({ interface: pair.serverIf, netns: pair.serverNs, directions: ['ingress'], xdp: 'native' });
  const host0 = counter('block-host').packets;
  assert.equal(await connect(pair.clientAddr2, 8080), false);
  assert.ok(counter('block-host').packets > host0, 'dropped in XDP, counted by the same rule');
  assert.equal(await connect(pair.clientAddr, 8080), true);
  const before = counter('udp-9000').packets;
  await pair.client.request({ op: 'send-udp', host: pair.serverAddr, port: 9000, count: 5, size: 10, localAddress: pair.clientAddr });
  await waitFor('5 datagrams counted in XDP', () => counter('udp-9000').packets - before === 5n);
});
