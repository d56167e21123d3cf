// Runs every test of the repository with Node's own test runner, TypeScript through tsx,
// workspace packages resolved to their sources (the "keelson-source" export condition).
//   node scripts/test.mjs             all tests (unit, then integration)
//   node scripts/test.mjs --unit      only packages/*/test/*.test.ts
//   node scripts/test.mjs FILE...     just those files
// Integration tests find kubectl through $KUBECTL, which this runner sets (ensure-kubectl.mjs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKubectl } from './ensure-kubectl.mjs';
import { ensureEbpf } from './ensure-ebpf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));
let files;
if (explicit.length > 0) files = explicit;
else {
  files = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const all = findTests(join(root, 'packages', pkg, 'test'));
    files.push(...all.filter((f) => !f.includes('/integration/')));
  }
  if (!unitOnly) {
    for (const pkg of readdirSync(join(root, 'packages')).sort()) {
      files.push(...findTests(join(root, 'packages', pkg, 'test', 'integration')));
    }
  }
}

const env = { ...process.env };
if (files.some((f) => f.includes('/integration/'))) {
  env.KUBECTL = ensureKubectl();
  process.stdout.write(`kubectl: ${env.KUBECTL}\n`);
}

// packages/ebpf's tests need clang, libbpf, bpffs/tracefs and the built addon and BPF objects.
if (files.some((f) => relative(root, f).startsWith(join('packages', 'ebpf') + '/'))) ensureEbpf();

process.stdout.write(`running ${files.length} test files\n`);
const r = spawnSync(
  process.execPath,
  ['--conditions=keelson-source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
