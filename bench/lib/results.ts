/**
 * The results file every benchmark writes (bench/results/<area>.json, shape in
 * /work/shared/STYLE.md "Benchmarks") and the table it prints.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ResultRow {
  subject: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  /** Spread and context: min/max over runs, runs, target, met, ... */
  [extra: string]: unknown;
}

export interface Machine {
  cpus: number;
  memoryGiB: number;
  node: string;
  cpuModel: string;
}

export function machineInfo(): Machine {
  const c = cpus();
  return { cpus: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, cpuModel: c[0]?.model.trim() ?? 'unknown' };
}

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes bench/results/<benchmark>.json and returns its path. */
export function writeResults(benchmark: string, rows: ResultRow[], extra: Record<string, unknown> = {}): string {
  const file = join(benchRoot, 'results', `${benchmark}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const doc = { benchmark, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), ...extra, rows };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

/** A plain-text table (columns padded to their widest cell). */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
