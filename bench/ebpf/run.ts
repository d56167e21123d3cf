/**
 * bench/ebpf: figures of @keelson/ebpf, one part per file, each returning result rows; this entry
 * runs the parts in order, prints the table and writes bench/results/ebpf.json.
 *
 *   npm run bench -- ebpf          (scripts/bench.mjs runs scripts/ensure-ebpf.mjs first)
 *   node --conditions=keelson-source --import tsx bench/ebpf/run.ts
 *
 * Environment (a subset prints its table and leaves the results file alone):
 *   KEELSON_BENCH_PARTS=ringbuf     parts to run (default: all)
 *   KEELSON_BENCH_RUNS=3            runs per case (default 3; figures are medians, min/max the spread)
 *   KEELSON_BENCH_SECONDS=3         seconds of load per run (default 3)
 *
 * Needs root, the addon and BPF objects built, gcc, and bpftrace (the peer). Nothing here asserts
 * anything about time.
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { formatTable, machineInfo, writeResults, type ResultRow } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { ringbufRows } from './ringbuf.js';
import { traceRows } from './trace.js';
import { policyRows } from './policy.js';

interface PartOptions {
  runs: number;
  seconds: number;
  progress: (line: string) => void;
}

/** The parts of bench/ebpf, in the order they run. Add a part: a file exporting (opts) => rows, listed here. */
const PARTS: Record<string, (opts: PartOptions) => Promise<ResultRow[]>> = {
  ringbuf: ringbufRows,
  trace: traceRows,
  policy: policyRows,
};

const progress = (line: string): void => void process.stderr.write(`bench/ebpf: ${line}\n`);

function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/ebpf needs root (loading BPF programs)');
  const asked = process.env.KEELSON_BENCH_PARTS?.split(',').filter(Boolean);
  const unknown = (asked ?? []).filter((p) => !(p in PARTS));
  if (unknown.length) throw new Error(`unknown part(s) ${unknown.join(', ')}: bench/ebpf has ${Object.keys(PARTS).join(', ')}`);
  const parts = asked ?? Object.keys(PARTS);
  const runs = Number(process.env.KEELSON_BENCH_RUNS ?? 3);
  const seconds = Number(process.env.KEELSON_BENCH_SECONDS ?? 3);
  const subset = asked !== undefined || process.env.KEELSON_BENCH_RUNS !== undefined || process.env.KEELSON_BENCH_SECONDS !== undefined;
  const m = machineInfo();
  const start = { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() };
  progress(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}; parts ${parts.join(', ')}; ${runs} run(s) of ${seconds} s`);
  const rows: ResultRow[] = [];
  for (const p of parts) rows.push(...(await PARTS[p]({ runs, seconds, progress })));
  const conditions = { start, end: { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() } };
  const file = subset ? undefined : writeResults('ebpf', rows, { conditions });
  const fmt = (v: unknown): string => (v === undefined ? '' : String(v));
  const table = formatTable(
    ['subject', 'case', 'metric', 'value', 'unit', 'min', 'max', 'dropped', 'target', 'met'],
    rows.map((r) => [r.subject, r.case, r.metric, fmt(r.value), r.unit, fmt(r.min), fmt(r.max), fmt(r.dropped_ratio), fmt(r.target), r.met === undefined ? '' : r.met ? 'yes' : 'NO']),
  );
  process.stdout.write(
    `\nbench/ebpf (median of ${runs} runs; min/max over runs) — ${m.cpus} CPUs, node ${m.node}; load average ${start.loadavg1} -> ${conditions.end.loadavg1}, CPU pressure ${start.cpuPressureSomeAvg10}% -> ${conditions.end.cpuPressureSomeAvg10}%\n${table}\n\n${file ? `wrote ${file}` : 'a subset ran (KEELSON_BENCH_PARTS/RUNS/SECONDS): results file not written'}\n`,
  );
}

await main();
