// Runs the benchmarks: every bench/<area>/run.ts, or the areas named on the command line, each
// in its own process (TypeScript through tsx; workspace packages from their sources with the
// "keelson-source" condition, servers under test from dist/ — `npm run bench` builds first).
//   npm run bench                 every area
//   npm run bench -- apiserver    just bench/apiserver
// Each run prints its table and writes bench/results/<area>.json. Exits 1 when any run fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEbpf } from './ensure-ebpf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'bench');

const available = existsSync(benchDir)
  ? readdirSync(benchDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(benchDir, d.name, 'run.ts')))
      .map((d) => d.name)
      .sort()
  : [];

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`no benchmark named ${unknown.join(', ')}: bench/<area>/run.ts exists for ${available.join(', ') || 'none'}\n`);
  process.exit(2);
}
const areas = asked.length > 0 ? asked : available;
if (areas.length === 0) {
  process.stderr.write('no benchmarks found (bench/<area>/run.ts)\n');
  process.exit(1);
}

const failed = [];
for (const area of areas) {
  process.stdout.write(`\n=== bench/${area} ===\n`);
  const t0 = Date.now();
  // bench/ebpf needs the addon, the BPF objects and bpftrace (its peer).
  if (area === 'ebpf') {
    try {
      ensureEbpf({ bpftrace: true });
    } catch (err) {
      failed.push(area);
      process.stderr.write(`bench/${area} failed before it ran: ${err instanceof Error ? err.message : String(err)}\n`);
      continue;
    }
  }
  const r = spawnSync(process.execPath, ['--conditions=keelson-source', '--import', 'tsx', join('bench', area, 'run.ts')], { cwd: root, stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(area);
    process.stderr.write(`bench/${area} failed (${r.signal ? `signal ${r.signal}` : `exit code ${r.status}`}) after ${secs} s\n`);
  } else {
    process.stdout.write(`bench/${area} finished in ${secs} s\n`);
  }
}
if (failed.length > 0) {
  process.stderr.write(`\n${failed.length} of ${areas.length} benchmark(s) failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
