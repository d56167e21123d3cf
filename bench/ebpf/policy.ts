/**
 * The L4 policy engine: what a packet costs, and how fast a rule change is enforced.
 *
 * classifier_ns_per_packet: BPF_PROG_TEST_RUN with `repeat` (the kernel's own average per run),
 * a 64-byte TCP SYN (Ethernet + IPv4 + TCP) that an allow rule decides, through policy_tc_ingress
 * and policy_xdp_ingress with 10 and with 10,000 rules (distinct /24s, tcp port ranges and udp
 * ports), default deny both ways (so allowed flows are recorded for their replies: the realistic,
 * dearer path). In the same run, the floor: an empty TC and an empty XDP program on the same
 * packet. The same packet every repeat: caches are warm, as for a flow's later packets.
 *
 * map_update_us: with 10,000 rules installed, one rule's port (or port range) changes; the time
 * from the first map write to the flip of `policy_active` (PolicyInstaller's mapWriteMs), with
 * the number of map writes; and before it the compile (all rules: the engine recompiles) and the
 * diff against the standby copy. The writes come after the compile's ~100 ms without a syscall,
 * and on this VM the first bpf() calls after such a pause are several times slower than the next
 * ones, so two more figures stand beside it, measured in the same run:
 * - map_update_warm_us (keelson): the same install's write batch run again, right after running
 *   it once more, on a second policy object driven by its own PolicyInstaller (the same keys and
 *   values again, so nothing changes),
 * - the peer, map-update-peer.c: the same writes (W - 2 LPM updates into a trie of the same key
 *   and value sizes and entry count, the settings, the flip) through libbpf's
 *   bpf_map_update_elem from C, after the same gap spent on CPU work (or idle), cold; its first
 *   write alone (first_write_us); and the same writes again at once (warm).
 *
 * edit_to_enforced_ms: a running engine follows a YAML file (watchPolicyFile + runPolicy); the
 * file is rewritten with one port changed; time from the start of the write to the flip (then a
 * test run confirms the packet's verdict changed). With 10 and with 10,000 rules.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// From the sources until @keelson/ebpf's index re-exports src/policy (then: from '@keelson/ebpf').
import {
  buildPacket,
  compilePolicy,
  libbpfVersion,
  MapOpBatch,
  PolicyEngine,
  PolicyInstaller,
  runPolicy,
  validatePolicy,
  watchPolicyFile,
  type BpfMap,
  type BpfObject,
  type PolicyMapName,
  type PolicyMapWriter,
  type PolicySpec,
  type PreparedMapWrite,
} from '@keelson/ebpf';
import type { ResultRow } from '../lib/results.js';
import { median, round, summarize } from '../lib/stats.js';

export interface PolicyBenchOptions {
  runs: number;
  seconds: number;
  progress: (line: string) => void;
}

const TARGET_CLASSIFIER_NS = 250;
const TARGET_MAP_UPDATE_US = 50;
const TARGET_EDIT_MS = 100;
const CLIENT = '10.0.7.9'; // inside rule 7's 10.0.7.0/24, a tcp 8000-8100 rule

/**
 * n rules over distinct /24s: every third a tcp port range, the others single udp ports, allow
 * and deny mixed. Rule 7 ("web", 10.0.7.0/24) allows tcp webPort-80..webPort+20; rule 1 ("dns",
 * 10.0.1.0/24) allows udp dnsPort.
 */
function rulesDoc(n: number, webPort = 8080, dnsPort = 1001): { defaultAction: string; rules: Record<string, unknown>[] } {
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const cidr = `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
    if (i === 7) rules.push({ name: 'web', action: 'allow', cidr, protocol: 'tcp', ports: `${webPort - 80}-${webPort + 20}` });
    else if (i === 1) rules.push({ name: 'dns', action: 'allow', cidr, protocol: 'udp', ports: dnsPort });
    else if (i % 3 === 0) rules.push({ name: `r${i}`, action: 'allow', cidr, protocol: 'tcp', ports: `${8000 + (i % 50)}-${8100 + (i % 50)}` });
    else rules.push({ name: `r${i}`, action: i % 2 ? 'allow' : 'deny', cidr, protocol: 'udp', ports: 1000 + (i % 1000) });
  }
  return { defaultAction: 'deny', rules };
}

const specOf = (n: number, webPort?: number, dnsPort?: number): PolicySpec => validatePolicy(rulesDoc(n, webPort, dnsPort), `${n} rules`);

const here = dirname(fileURLToPath(import.meta.url));

/**
 * An installer over a policy object's maps, as PolicyEngine makes one, that keeps the last write
 * batch it prepared so the bench can run it again (warm).
 */
function replayingInstaller(object: BpfObject): { installer: PolicyInstaller; replay: () => number } {
  const maps = new Map<PolicyMapName, BpfMap>();
  const map = (name: PolicyMapName): BpfMap => maps.get(name) ?? maps.set(name, object.map(name)).get(name)!;
  let last: PreparedMapWrite | undefined;
  const writer: PolicyMapWriter = {
    update: (name, key, value) => map(name).update(key, value),
    delete: (name, key) => void map(name).delete(key),
    zeroCounters: (slots) => {
      // The cycles keep every rule name, so no counter slot is ever freed.
      if (slots.length > 0) throw new Error('bench: unexpected counter slots to zero');
    },
    prepareBatch: (ops) => {
      const batch = new MapOpBatch();
      for (const op of ops) {
        if (op.value) batch.update(map(op.map), op.key, op.value);
        else batch.delete(map(op.map), op.key);
      }
      last = { run: batch.prepare() };
      return last;
    },
  };
  const replay = (): number => {
    const t = performance.now();
    last!.run();
    return (performance.now() - t) * 1000;
  };
  return { installer: new PolicyInstaller(writer), replay };
}

interface PeerCase {
  writes: number;
  gap: 'cpu' | 'idle';
  coldFirstUs: number[];
  coldAllUs: number[];
  warmFirstUs: number[];
  warmAllUs: number[];
}

/** Builds and runs map-update-peer.c: `writes` per change, after `gapMs` of CPU work or idle. */
function runPeer(entries: number, gapMs: number, rounds: number, writes: number[]): { cases: PeerCase[] } {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-map-peer-'));
  try {
    const bin = join(dir, 'map-update-peer');
    const libbpf = execFileSync('pkg-config', ['--cflags', '--libs', 'libbpf'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    execFileSync('gcc', ['-O2', '-o', bin, join(here, 'map-update-peer.c'), ...libbpf]);
    const out = execFileSync(bin, [String(entries), String(gapMs), String(rounds), writes.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out) as { cases: PeerCase[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rules as an operator writes them: block-style YAML. */
function rulesYaml(n: number, webPort: number): string {
  const doc = rulesDoc(n, webPort);
  const out = [`defaultAction: ${doc.defaultAction}`, 'rules:'];
  for (const r of doc.rules) {
    const [first, ...rest] = Object.entries(r).map(([k, v]) => `${k}: ${typeof v === 'string' && /^[\d-]+$/.test(v) ? JSON.stringify(v) : v}`);
    out.push(`  - ${first}`, ...rest.map((l) => `    ${l}`));
  }
  return out.join('\n') + '\n';
}

export async function policyRows(opts: PolicyBenchOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const engine = await PolicyEngine.load();
  try {
    const syn = buildPacket({ src: CLIENT, dst: '192.0.2.1', proto: 'tcp', sport: 40000, dport: 8080 });
    // About 0.3 s of kernel time per measurement.
    const repeat = 1_000_000;
    const measure = (prog: Parameters<PolicyEngine['program']>[0]): number => engine.program(prog).testRun({ data: syn, repeat }).duration;
    const samples = new Map<string, number[]>();
    const add = (k: string, v: number): void => void (samples.get(k) ?? samples.set(k, []).get(k))!.push(v);
    for (let r = 0; r < opts.runs; r++) {
      for (const n of [10, 10_000]) {
        engine.apply(specOf(n));
        const tc = engine.program('policy_tc_ingress').testRun({ data: syn });
        if (tc.retval !== 0xffffffff) throw new Error(`the bench packet should be allowed (retval ${tc.retval})`);
        add(`tc ${n}`, measure('policy_tc_ingress'));
        add(`xdp ${n}`, measure('policy_xdp_ingress'));
        add('tc empty', measure('policy_tc_empty'));
        add('xdp empty', measure('policy_xdp_empty'));
      }
      opts.progress(`policy classifier run ${r + 1}/${opts.runs}: tc 10k ${samples.get('tc 10000')?.at(-1)} ns, empty tc ${samples.get('tc empty')?.at(-1)} ns`);
    }
    const row = (subject: string, kase: string, key: string, target?: number): void => {
      const s = summarize(samples.get(key) as number[]);
      rows.push({
        subject,
        case: kase,
        metric: 'classifier_ns_per_packet',
        value: round(s.value),
        unit: 'ns',
        min: round(s.min),
        max: round(s.max),
        runs: s.runs,
        ...(target !== undefined ? { target: `< ${target} ns`, met: s.value < target } : {}),
      });
    };
    row('keelson policy (tc)', 'rules=10', 'tc 10');
    row('keelson policy (tc)', 'rules=10000', 'tc 10000', TARGET_CLASSIFIER_NS);
    row('empty tc program (floor)', 'any', 'tc empty');
    row('keelson policy (xdp)', 'rules=10', 'xdp 10');
    row('keelson policy (xdp)', 'rules=10000', 'xdp 10000', TARGET_CLASSIFIER_NS);
    row('empty xdp program (floor)', 'any', 'xdp empty');

    // One rule changes while 10,000 are installed, in a cycle of three values, so each install
    // differs from the one before by that rule, as does the standby copy it writes (caught up
    // with the previous change, as between real edits). Two kinds of change: the single port of
    // a udp rule (one port entry out, one in) and the port range of a tcp rule (its prefix
    // blocks out, the new range's in).
    const changes = Math.max(12, opts.runs * 10);
    const updateCases: { kase: string; writes: number; gapMs: number; portEntries: number }[] = [];
    const warmEngine = await PolicyEngine.load();
    try {
      const warm = replayingInstaller(warmEngine.object!);
      const compileFor = (s: PolicySpec): ReturnType<typeof compilePolicy> => {
        const slots = warm.installer.assignSlots(s.rules.map((r) => r.name));
        return compilePolicy(s, (n) => slots.get(n) as number);
      };
      for (const [label, cycle] of [
        ['single port changed', [1001, 2001, 3001].map((p) => specOf(10_000, 8080, p))],
        ['port range changed', [8080, 9080, 10080].map((p) => specOf(10_000, p))],
      ] as const) {
        for (const s of cycle) engine.apply(s);
        for (const s of cycle) warm.installer.install(compileFor(s));
        const write: number[] = [];
        const writeWarm: number[] = [];
        const diff: number[] = [];
        const compile: number[] = [];
        let written = 0;
        let portEntries = 0;
        for (let i = 0; i < changes; i++) {
          engine.settle();
          const r = engine.apply(cycle[i % 3]);
          write.push(r.mapWriteMs * 1000);
          diff.push(r.diffMs);
          compile.push(r.compileMs);
          // + the standby copy's settings and the flip
          written += r.updates + r.deletes + 2;
          portEntries = r.stats.portEntries;
          // The same change on the second object, then its batch again, twice: the second run
          // follows the first at once (the first follows the install's own work after its flip).
          warm.installer.catchUpNow();
          warm.installer.install(compileFor(cycle[i % 3]));
          warm.replay();
          writeWarm.push(warm.replay());
        }
        const kase = `rules=10000, ${label}`;
        const w = summarize(write);
        const ww = summarize(writeWarm);
        rows.push({ subject: 'keelson policy', case: kase, metric: 'map_update_us', value: round(w.value), unit: 'µs', min: round(w.min), max: round(w.max), runs: changes, map_writes: round(written / changes), target: `< ${TARGET_MAP_UPDATE_US} µs`, met: w.value < TARGET_MAP_UPDATE_US });
        rows.push({ subject: 'keelson policy', case: kase, metric: 'map_update_warm_us', value: round(ww.value), unit: 'µs', min: round(ww.min), max: round(ww.max), runs: changes, map_writes: round(written / changes), note: "the install's write batch run twice more; the second run" });
        for (const [metric, samples] of [['diff_ms', diff], ['compile_ms', compile]] as const) {
          const x = summarize(samples);
          rows.push({ subject: 'keelson policy', case: kase, metric, value: round(x.value), unit: 'ms', min: round(x.min), max: round(x.max), runs: changes });
        }
        updateCases.push({ kase, writes: Math.round(written / changes), gapMs: median(compile) + median(diff), portEntries });
        opts.progress(`policy map update, ${label}: ${round(w.value)} µs cold, ${round(ww.value)} µs warm, for ${round(written / changes)} map writes (diff ${round(median(diff))} ms, compile ${round(median(compile))} ms)`);
      }
      warm.installer.dispose();
    } finally {
      warmEngine.close();
    }

    // The peer: the same writes from C, after the same gap (the keelson side's compile and diff).
    const gapMs = Math.round(median(updateCases.map((c) => c.gapMs)));
    const peer = runPeer(updateCases[0].portEntries, gapMs, changes, updateCases.map((c) => c.writes));
    const peerSubject = `C, libbpf ${libbpfVersion()} bpf_map_update_elem (peer)`;
    for (const [ci, c] of updateCases.entries()) {
      // The peer prints its cases in the order asked, each after a CPU-work gap, then an idle one.
      for (const p of peer.cases.slice(2 * ci, 2 * ci + 2)) {
        const subject = p.gap === 'cpu' ? peerSubject : `${peerSubject}, idle gap`;
        const extra = { runs: p.coldAllUs.length, map_writes: p.writes, gap: `${p.gap} ${gapMs} ms`, port_entries: c.portEntries };
        const metrics: [string, number[]][] =
          p.gap === 'cpu'
            ? [
                ['map_update_us', p.coldAllUs],
                ['map_update_warm_us', p.warmAllUs],
                ['first_write_us', p.coldFirstUs],
                ['first_write_warm_us', p.warmFirstUs],
              ]
            : [['map_update_us', p.coldAllUs]];
        for (const [metric, samples] of metrics) {
          const x = summarize(samples);
          rows.push({ subject, case: c.kase, metric, value: round(x.value), unit: 'µs', min: round(x.min), max: round(x.max), ...extra });
        }
        opts.progress(`policy map update peer (${p.gap} gap of ${gapMs} ms), ${p.writes} writes: ${round(median(p.coldAllUs))} µs cold (first write ${round(median(p.coldFirstUs))} µs), ${round(median(p.warmAllUs))} µs warm`);
      }
    }

    // A YAML file edited under a running engine.
    for (const n of [10, 10_000]) {
      const dir = mkdtempSync(join(tmpdir(), 'keelson-policy-bench-'));
      const stop = new AbortController();
      try {
        const file = join(dir, 'rules.yaml');
        const texts = [rulesYaml(n, 8080), rulesYaml(n, 9080)];
        writeFileSync(file, texts[0]);
        let applied = 0;
        let appliedAt = 0;
        const loop = runPolicy(engine, watchPolicyFile(file, { signal: stop.signal }), {
          onApplied: () => {
            applied++;
            appliedAt = performance.now();
          },
        });
        const waitApplied = async (count: number): Promise<void> => {
          const deadline = Date.now() + 60_000;
          while (applied < count) {
            if (Date.now() > deadline) throw new Error(`the engine did not apply edit ${count} of the ${n}-rule file`);
            await new Promise((res) => setTimeout(res, 1));
          }
        };
        await waitApplied(1);
        const latencies: number[] = [];
        const edits = Math.max(6, opts.runs * (n > 1000 ? 2 : 10));
        for (let i = 1; i <= edits; i++) {
          const t0 = performance.now();
          writeFileSync(file, texts[i % 2]);
          await waitApplied(i + 1);
          latencies.push(appliedAt - t0);
          // The packet to 8080 is allowed by the 8000-8100 range, and not by 9000-9100.
          const allowed = engine.program('policy_tc_ingress').testRun({ data: syn }).retval !== 2;
          if (allowed !== (i % 2 === 0)) throw new Error(`edit ${i} of the ${n}-rule file did not change the verdict`);
          await new Promise((res) => setTimeout(res, 20));
        }
        const s = summarize(latencies);
        rows.push({
          subject: 'keelson policy (YAML file)',
          case: `rules=${n}`,
          metric: 'edit_to_enforced_ms',
          value: round(s.value),
          unit: 'ms',
          min: round(s.min),
          max: round(s.max),
          runs: edits,
          target: `< ${TARGET_EDIT_MS} ms`,
          met: s.value < TARGET_EDIT_MS,
        });
        opts.progress(`policy edit -> enforced, ${n} rules: median ${round(median(latencies))} ms`);
        stop.abort();
        await loop;
      } finally {
        stop.abort();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    engine.close();
  }
  return rows;
}
