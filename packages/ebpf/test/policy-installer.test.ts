import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, type MapContents } from '../src/policy/compile.js';
import { encodeMapValue, POLICY } from '../src/policy/maps.js';
import { parseIPv4, parseIPv6 } from '../src/policy/cidr.js';
import type { PacketInfo } from '../src/policy/evaluate.js';
import { classify as simulate } from './fixtures/policy/lpm-sim.js';
import { PolicyInstaller, type PolicyMapName, type PolicyMapOp, type PolicyMapWriter, type PreparedMapWrite } from '../src/policy/installer.js';
import { validatePolicy, type PolicySpec } from '../src/policy/rules.js';

/** Maps as byte-keyed dictionaries, and a log of every operation in order. */
class FakeMaps implements PolicyMapWriter {
  readonly maps = new Map<PolicyMapName, Map<string, string>>();
  readonly log: { op: 'update' | 'delete' | 'zero'; map: PolicyMapName; key: string; activeAtTheTime: number }[] = [];
  zeroed: number[] = [];
  /** Writes (updates and deletes) that succeed before one throws. */
  failAfter = Infinity;
  /** Every batch prepared, with its ops as encoded at preparation, and how often it ran. */
  readonly batches: { ops: PolicyMapOp[]; ran: number }[] = [];

  private m(name: PolicyMapName): Map<string, string> {
    let m = this.maps.get(name);
    if (!m) this.maps.set(name, (m = new Map()));
    return m;
  }
  get active(): number {
    return Number(this.m('policy_active').get('00000000') === '01000000');
  }
  update(map: PolicyMapName, key: Uint8Array, value: Uint8Array): void {
    if (this.failAfter-- <= 0) throw new Error('injected failure');
    this.log.push({ op: 'update', map, key: Buffer.from(key).toString('hex'), activeAtTheTime: this.active });
    this.m(map).set(Buffer.from(key).toString('hex'), Buffer.from(value).toString('hex'));
  }
  delete(map: PolicyMapName, key: Uint8Array): void {
    if (this.failAfter-- <= 0) throw new Error('injected failure');
    this.log.push({ op: 'delete', map, key: Buffer.from(key).toString('hex'), activeAtTheTime: this.active });
    this.m(map).delete(Buffer.from(key).toString('hex'));
  }
  zeroCounters(slots: readonly number[]): void {
    this.log.push({ op: 'zero', map: 'policy_counters', key: slots.join(','), activeAtTheTime: this.active });
    this.zeroed.push(...slots);
  }
  /** As the engine's MapOpBatch: the bytes are taken now, the writes run in order until one fails. */
  prepareBatch(ops: readonly PolicyMapOp[]): PreparedMapWrite {
    const batch = { ops: ops.map((op) => ({ map: op.map, key: Buffer.from(op.key), ...(op.value ? { value: Buffer.from(op.value) } : {}) })), ran: 0 };
    this.batches.push(batch);
    return {
      run: () => {
        batch.ran++;
        for (const op of batch.ops) {
          if (op.value) this.update(op.map, op.key, op.value);
          else this.delete(op.map, op.key);
        }
      },
    };
  }
  contents(name: PolicyMapName): Map<string, string> {
    return new Map(this.m(name));
  }
}

const hexMap = (m: MapContents, kind: 'addr' | 'port'): Map<string, string> => new Map([...m].map(([k, v]) => [k, encodeMapValue(kind, v).toString('hex')]));

function spec(rules: object[], defaultAction = 'deny'): PolicySpec {
  return validatePolicy({ defaultAction, rules }, 'test');
}

function compileFor(inst: PolicyInstaller, s: PolicySpec): ReturnType<typeof compilePolicy> {
  const slots = inst.assignSlots(s.rules.map((r) => r.name));
  return compilePolicy(s, (n) => slots.get(n) as number);
}

const A = spec([
  { name: 'web', action: 'allow', cidr: '10.0.0.0/8', protocol: 'tcp', ports: 80 },
  { name: 'ssh', action: 'allow', cidr: '10.1.0.0/16', protocol: 'tcp', ports: 22 },
]);
const B = spec([
  { name: 'web', action: 'allow', cidr: '10.0.0.0/8', protocol: 'tcp', ports: '80-81' },
  { name: 'dns', action: 'allow', protocol: 'udp', ports: 53 },
]);

test('installs write only the copy packets do not use, then flip in one write', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  for (const [i, s] of [A, B, A, B, B].entries()) {
    const before = maps.log.length;
    const c = compileFor(inst, s);
    const r = inst.install(c);
    const ops = maps.log.slice(before);
    assert.equal(r.buffer, i % 2 === 0 ? 1 : 0);
    assert.equal(r.generation, i + 1);
    // The flip is the last write, and every earlier write went to the copy that was inactive then.
    const last = ops[ops.length - 1];
    assert.equal(last.map, 'policy_active');
    for (const op of ops.slice(0, -1)) {
      if (op.map === 'policy_counters') continue;
      const copy = op.map === 'policy_settings' ? Number(op.key.slice(0, 2)) : Number(op.map.at(-1));
      assert.notEqual(copy, op.activeAtTheTime, `${op.op} ${op.map} while copy ${op.activeAtTheTime} was active`);
    }
    // The active copy holds the compiled rule set (plus neutralized keys until the catch-up);
    // after the catch-up, both copies hold exactly it.
    for (const kind of ['addr', 'port'] as const) {
      const have = maps.contents(`policy_${kind}_${r.buffer}`);
      for (const [k, v] of hexMap(c[kind], kind)) assert.equal(have.get(k), v);
    }
    assert.equal(maps.active, r.buffer);
    inst.catchUpNow();
    for (const copy of [0, 1] as const) {
      assert.deepEqual(maps.contents(`policy_addr_${copy}`), hexMap(c.addr, 'addr'));
      assert.deepEqual(maps.contents(`policy_port_${copy}`), hexMap(c.port, 'port'));
    }
  }
  inst.dispose();
});

test('keys a change drops are neutralized, not deleted, before the flip; packets get the new answers (seed in POLICY_SEED)', (t) => {
  const seed = Number(process.env.POLICY_SEED ?? Date.now() % 1e9);
  t.diagnostic(`POLICY_SEED=${seed}`);
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const cidrs = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '192.168.0.0/16', 'fd00::/8'];
  const ports = [22, 53, 80, 443, 8000, 8080, 8100];
  const randomSpec = (): PolicySpec =>
    validatePolicy(
      {
        defaultAction: { ingress: pick(['allow', 'deny']), egress: pick(['allow', 'deny']) },
        rules: Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, i) => {
          const protocol = pick(['tcp', 'udp', 'any'] as const);
          const [x, y] = [pick(ports), pick(ports)];
          return { name: `r${i}`, priority: pick([1, 10, 100]), action: pick(['allow', 'deny']), direction: pick(['ingress', 'egress']), ...(rand() < 0.8 ? { cidr: pick(cidrs) } : {}), protocol, ...(rand() < 0.7 ? { ports: `${Math.min(x, y)}-${Math.max(x, y)}` } : {}) };
        }),
      },
      `seed ${seed}`,
    );
  const remotes = ['10.1.2.3', '10.1.2.9', '10.9.9.9', '192.168.1.1', '8.8.8.8', 'fd00::1', '2001:db8::1'];
  let neutralized = 0;
  for (let round = 0; round < 25; round++) {
    const maps = new FakeMaps();
    const inst = new PolicyInstaller(maps);
    const first = randomSpec();
    inst.install(compileFor(inst, first));
    inst.catchUpNow();
    inst.install(compileFor(inst, first)); // both copies hold the first set
    inst.catchUpNow();
    const before = maps.log.length;
    const next = randomSpec();
    const c = compileFor(inst, next);
    const r = inst.install(c);
    assert.equal(maps.log.slice(before).filter((op) => op.op === 'delete').length, 0, 'no delete before the flip');
    const active = (kind: 'addr' | 'port'): Map<string, number> => new Map([...maps.contents(`policy_${kind}_${r.buffer}`)].map(([k, v]) => [k, kind === 'addr' ? Buffer.from(v, 'hex').readUInt32LE(0) : Buffer.from(v, 'hex').readUInt16LE(0) | (Buffer.from(v, 'hex')[2] << 16)]));
    const [addr, port] = [active('addr'), active('port')];
    neutralized += addr.size + port.size - c.addr.size - c.port.size;
    for (const remote of remotes) {
      const v6 = remote.includes(':');
      for (const direction of ['ingress', 'egress'] as const) {
        for (const [proto, p] of [[6, pick(ports)], [17, pick(ports)], [6, undefined], [1, undefined], [132, undefined]] as const) {
          const pkt: PacketInfo = { direction, family: v6 ? 6 : 4, remote: (v6 ? parseIPv6(remote) : parseIPv4(remote)) as Uint8Array, proto, port: p };
          assert.deepEqual(simulate(addr, port, c.settings.defaultAction, pkt), simulate(c.addr, c.port, c.settings.defaultAction, pkt), `seed ${seed} round ${round}: ${JSON.stringify({ remote, direction, proto, p })}`);
        }
      }
    }
    inst.catchUpNow();
    assert.deepEqual(maps.contents(`policy_port_${r.buffer}`), hexMap(c.port, 'port'), 'the background deletes leave exactly the rules');
    inst.dispose();
  }
  assert.ok(neutralized > 0, 'some rounds dropped keys');
});

test('an install writes only the difference to what the copy held', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  const cA = compileFor(inst, A);
  inst.install(cA);
  inst.install(compileFor(inst, A)); // copy 0 gets A too
  // A again into copy 1, which holds A: only settings and the flip are written.
  const r = inst.install(compileFor(inst, A));
  assert.equal(r.updates + r.deletes, 0);
  // B into copy 0 (holding A): writes only where A and B differ (a dropped key is overwritten
  // with its neutral value, unless it already holds it), deleted after the flip.
  const cB = compileFor(inst, B);
  const r2 = inst.install(cB);
  const changedKeys = (a: MapContents, b: MapContents): number => [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).length;
  const dropped = (a: MapContents, b: MapContents): number => [...a.keys()].filter((k) => !b.has(k)).length;
  assert.equal(r2.deletes, 0);
  assert.ok(r2.updates > 0 && r2.updates <= changedKeys(cA.addr, cB.addr) + changedKeys(cA.port, cB.port));
  const before = maps.log.length;
  inst.catchUpNow();
  const deletes = maps.log.slice(before).filter((op) => op.op === 'delete' && op.map.endsWith(String(r2.buffer))).length;
  assert.equal(deletes, dropped(cA.addr, cB.addr) + dropped(cA.port, cB.port), 'the dropped keys go in the background');
  inst.dispose();
});

test('a removed rule\'s counter slot is zeroed past the flip before anyone reuses it', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  inst.install(compileFor(inst, A)); // web=8, ssh=9
  assert.deepEqual([...inst.ruleSlots], [['web', 8], ['ssh', 9]]);
  const cB = compileFor(inst, B); // ssh removed: slot 9 still counted into until B's flip; dns gets 10
  assert.equal(cB.slots.get('dns'), 10, 'slot 9 is not handed out while A is in force');
  inst.install(cB);
  assert.deepEqual([...inst.ruleSlots], [['web', 8], ['dns', 10]]);
  assert.deepEqual(maps.zeroed, []);
  const before = maps.log.length;
  const c = compileFor(inst, spec([...B.rules.map((r) => ({ name: r.name, action: r.action })), { name: 'new', action: 'deny' }]));
  assert.deepEqual(maps.zeroed, [9], 'zeroed once B was in force');
  assert.equal(maps.log[before].op, 'zero');
  assert.equal(c.slots.get('new'), 9, 'then reused');
  inst.install(c);
  assert.ok(maps.log.slice(before + 1).every((op) => op.op !== 'zero'));
});

test('a failed install leaves packets on the old rules and the next one repairs the copy', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  inst.install(compileFor(inst, A));
  inst.install(compileFor(inst, A));
  assert.equal(maps.active, 0);
  maps.failAfter = 2;
  assert.throws(() => inst.install(compileFor(inst, B)), /injected failure/);
  assert.equal(maps.active, 0, 'no flip');
  assert.equal(inst.activeBuffer, 0);
  maps.failAfter = Infinity;
  const cB = compileFor(inst, B);
  const r = inst.install(cB);
  assert.equal(r.buffer, 1);
  inst.catchUpNow();
  assert.deepEqual(maps.contents('policy_addr_1'), hexMap(cB.addr, 'addr'));
  assert.deepEqual(maps.contents('policy_port_1'), hexMap(cB.port, 'port'));
  inst.dispose();
});

test('after a flip the standby copy catches up, so the next change writes only its own difference', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  const port = (p: number): PolicySpec => spec([{ name: 'web', action: 'allow', cidr: '10.0.0.0/8', protocol: 'tcp', ports: p }, { name: 'dns', action: 'allow', protocol: 'udp', ports: 53 }]);
  inst.install(compileFor(inst, port(80)));
  inst.catchUpNow();
  inst.install(compileFor(inst, port(81)));
  inst.catchUpNow();
  // Both copies hold port 81 now: a change to 82 writes two entries in one copy (82 in, 81
  // neutralized), and 81 is deleted after the flip.
  assert.deepEqual(maps.contents('policy_port_0'), maps.contents('policy_port_1'));
  const r = inst.install(compileFor(inst, port(82)));
  assert.deepEqual([r.updates, r.deletes], [2, 0]);
  const before = maps.log.length;
  inst.catchUpNow();
  assert.deepEqual(
    maps.log.slice(before).map((op) => `${op.op} ${op.map}`),
    [`delete policy_port_${r.buffer}`, `delete policy_port_${1 - r.buffer}`, `update policy_port_${1 - r.buffer}`],
  );
  inst.dispose();
});

test('a full rule set can be replaced by one with all-new names, and back', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  const named = (prefix: string): PolicySpec => spec(Array.from({ length: POLICY.MAX_RULES }, (_, i) => ({ name: `${prefix}${i}`, action: 'allow', protocol: 'udp', ports: i % 65536 })));
  for (const prefix of ['a', 'b', 'a', 'c']) {
    const c = compileFor(inst, named(prefix));
    assert.equal(c.slots.size, POLICY.MAX_RULES);
    assert.ok(Math.max(...c.slots.values()) < POLICY.COUNTER_SLOTS);
    inst.install(c);
  }
  inst.dispose();
});

test('an install is one batch, run once: the rule writes, then the settings, then the flip', () => {
  const maps = new FakeMaps();
  const inst = new PolicyInstaller(maps);
  for (const s of [A, B, A, B]) {
    const c = compileFor(inst, s);
    const [logBefore, batchesBefore] = [maps.log.length, maps.batches.length];
    const r = inst.install(c);
    const batches = maps.batches.slice(batchesBefore);
    assert.equal(batches.length, 1, 'one batch per install');
    const [batch] = batches;
    assert.equal(batch.ran, 1);
    const hex = (b?: Uint8Array): string | undefined => (b ? Buffer.from(b).toString('hex') : undefined);
    // Everything the install wrote went through the batch, in the batch's order.
    assert.deepEqual(
      maps.log.slice(logBefore).filter((op) => op.op !== 'zero').map((op) => `${op.op} ${op.map} ${op.key}`),
      batch.ops.map((op) => `${op.value ? 'update' : 'delete'} ${op.map} ${hex(op.key)}`),
    );
    const [settings, flip] = batch.ops.slice(-2);
    assert.deepEqual([settings.map, hex(settings.key)], ['policy_settings', hex(Buffer.from([r.buffer, 0, 0, 0]))]);
    assert.equal(Buffer.from(settings.value as Uint8Array).readUInt32LE(0), r.generation);
    assert.deepEqual([flip.map, hex(flip.key), hex(flip.value)], ['policy_active', '00000000', hex(Buffer.from([r.buffer, 0, 0, 0]))]);
    assert.equal(batch.ops.length - 2, r.updates + r.deletes);
    inst.catchUpNow();
  }
  inst.dispose();
});

test('a failure at any op of the batch, the flip included, leaves packets on the old copy, and the next install repairs it', () => {
  let ops = 0;
  for (let failAt = 0; ; failAt++) {
    const maps = new FakeMaps();
    const inst = new PolicyInstaller(maps);
    inst.install(compileFor(inst, A));
    inst.install(compileFor(inst, A));
    inst.catchUpNow();
    const cB = compileFor(inst, B);
    maps.failAfter = failAt;
    const logBefore = maps.log.length;
    try {
      inst.install(cB);
    } catch (err) {
      assert.match(String(err), /injected failure/);
      ops = maps.batches.at(-1)?.ops.length ?? 0;
      assert.equal(maps.log.length - logBefore, failAt, `the ${failAt} ops before the failed one were written, no op after it`);
      assert.equal(maps.active, 0, `failure at op ${failAt}: no flip`);
      assert.equal(inst.activeBuffer, 0);
      assert.equal(inst.currentGeneration, 2);
      maps.failAfter = Infinity;
      const r = inst.install(compileFor(inst, B));
      assert.equal(r.buffer, 1);
      assert.equal(maps.active, 1);
      inst.catchUpNow();
      for (const copy of [0, 1] as const) {
        assert.deepEqual(maps.contents(`policy_addr_${copy}`), hexMap(cB.addr, 'addr'));
        assert.deepEqual(maps.contents(`policy_port_${copy}`), hexMap(cB.port, 'port'));
      }
      inst.dispose();
      continue;
    }
    // Past the last op: nothing failed.
    assert.equal(failAt, ops, 'every op of the batch, the flip included, was made to fail once');
    assert.ok(ops >= 3, 'rule writes, settings and the flip');
    assert.equal(maps.active, 1);
    inst.dispose();
    break;
  }
});
