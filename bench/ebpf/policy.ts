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
 * diff against the standby copy.
 *
 * edit_to_enforced_ms: a running engine follows a YAML file (watchPolicyFile + runPolicy); the
 * file is rewritten with one port changed; time from the start of the write to the flip (then a
 * test run confirms the packet's verdict changed). With 10 and with 10,000 rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// From the sources until @keelson/ebpf's index re-exports src/policy (then: from '@keelson/ebpf').
import { buildPacket, PolicyEngine, runPolicy, validatePolicy, watchPolicyFile, type PolicySpec } from '@keelson/ebpf';
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
    for (const [label, cycle] of [
      ['single port changed', [1001, 2001, 3001].map((p) => specOf(10_000, 8080, p))],
      ['port range changed', [8080, 9080, 10080].map((p) => specOf(10_000, p))],
    ] as const) {
      for (const s of cycle) engine.apply(s);
      const write: number[] = [];
      const diff: number[] = [];
      const compile: number[] = [];
      let written = 0;
      const changes = Math.max(12, opts.runs * 10);
      for (let i = 0; i < changes; i++) {
        engine.settle();
        const r = engine.apply(cycle[i % 3]);
        write.push(r.mapWriteMs * 1000);
        diff.push(r.diffMs);
        compile.push(r.compileMs);
        // + the standby copy's settings and the flip
        written += r.updates + r.deletes + 2;
      }
      const kase = `rules=10000, ${label}`;
      const w = summarize(write);
      rows.push({ subject: 'keelson policy', case: kase, metric: 'map_update_us', value: round(w.value), unit: 'µs', min: round(w.min), max: round(w.max), runs: changes, map_writes: round(written / changes), target: `< ${TARGET_MAP_UPDATE_US} µs`, met: w.value < TARGET_MAP_UPDATE_US });
      for (const [metric, samples] of [['diff_ms', diff], ['compile_ms', compile]] as const) {
        const x = summarize(samples);
        rows.push({ subject: 'keelson policy', case: kase, metric, value: round(x.value), unit: 'ms', min: round(x.min), max: round(x.max), runs: changes });
      }
      opts.progress(`policy map update, ${label}: ${round(w.value)} µs for ${round(written / changes)} map writes (diff ${round(median(diff))} ms, compile ${round(median(compile))} ms)`);
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
