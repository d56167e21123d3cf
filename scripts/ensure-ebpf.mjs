// Gets a machine ready for packages/ebpf's tests and bench/ebpf, idempotently:
//   1. installs the Debian packages the build needs when one is missing (apt-get update once,
//      then clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev; bpftrace only for the bench),
//   2. mounts bpffs at /sys/fs/bpf and tracefs at /sys/kernel/tracing when absent,
//   3. builds the addon (node-gyp, packages/ebpf/native) and every packages/ebpf/bpf/**/*.bpf.c,
//      each only when its output is older than its sources.
//   node scripts/ensure-ebpf.mjs [--bpftrace] [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBpf } from '../packages/ebpf/bpf/build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'packages', 'ebpf', 'native');
const addon = join(nativeDir, 'build', 'Release', 'keelson_ebpf.node');

export const BUILD_PACKAGES = ['clang', 'llvm', 'libbpf-dev', 'bpftool', 'libelf-dev', 'zlib1g-dev'];
// Present on the project's machines; checked so a bare one gets them too: node-gyp needs a C++
// compiler, make and python3; the tests compile a C target (gcc) and use ip/tc (iproute2).
const TOOL_PACKAGES = ['g++', 'make', 'python3', 'iproute2'];

function say(line) {
  process.stdout.write(`ensure-ebpf: ${line}\n`);
}

function missingPackages(names) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout ?? '')
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name.replace(/:.*$/, '')),
  );
  return names.filter((n) => !installed.has(n));
}

let aptUpdated = false;

/** Installs the Debian packages among `names` that are not installed. */
export function ensurePackages(names) {
  const missing = missingPackages(names);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`ensure-ebpf: missing Debian packages ${missing.join(' ')}; install them as root: apt-get install -y ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    say('apt-get update');
    const u = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (u.status !== 0) throw new Error(`ensure-ebpf: apt-get update failed (exit code ${u.status})`);
    aptUpdated = true;
  }
  say(`apt-get install ${missing.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`ensure-ebpf: apt-get install ${missing.join(' ')} failed (exit code ${r.status})`);
  const still = missingPackages(missing);
  if (still.length > 0) throw new Error(`ensure-ebpf: ${still.join(' ')} still not installed after apt-get install`);
}

/** bpftrace, the peer of bench/ebpf. */
export function ensureBpftrace() {
  ensurePackages(['bpftrace']);
}

function mounted(path, fstype) {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => {
      const f = l.split(' ');
      return f[1] === path && f[2] === fstype;
    });
}

/** bpffs at /sys/fs/bpf and tracefs at /sys/kernel/tracing, mounted when absent. */
export function ensureFilesystems() {
  for (const [path, fstype] of [
    ['/sys/fs/bpf', 'bpf'],
    ['/sys/kernel/tracing', 'tracefs'],
  ]) {
    if (mounted(path, fstype)) continue;
    mkdirSync(path, { recursive: true });
    say(`mount -t ${fstype} ${fstype === 'bpf' ? 'bpf' : 'tracefs'} ${path}`);
    const r = spawnSync('mount', ['-t', fstype, fstype, path], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`ensure-ebpf: cannot mount ${fstype} at ${path} (exit code ${r.status}): run as root`);
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'build') newest = Math.max(newest, newestMtime(p));
    } else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  if (existsSync('/usr/include/node/node_api.h')) return '/usr';
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

/** Builds the addon when it is missing or older than native/ (binding.gyp, src/). */
export function buildAddon({ force = false } = {}) {
  if (!force && existsSync(addon) && statSync(addon).mtimeMs >= newestMtime(nativeDir)) return false;
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) throw new Error('ensure-ebpf: node-gyp is not installed (node_modules/node-gyp): run npm ci');
  const args = [gyp, 'rebuild', '--directory', nativeDir, '-j', '2'];
  const nd = nodeDir();
  // Node's headers from the machine: node-gyp would otherwise try to download them.
  if (nd) args.push(`--nodedir=${nd}`);
  say('node-gyp rebuild packages/ebpf/native');
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ensure-ebpf: building the addon failed:\n${(r.stdout + r.stderr).split('\n').filter((l) => /error|Error|ERR/.test(l)).slice(0, 40).join('\n')}`);
  return true;
}

/** Everything packages/ebpf's tests need. `bpftrace: true` also installs bpftrace (bench/ebpf). */
export function ensureEbpf({ bpftrace = false, force = false } = {}) {
  const t0 = Date.now();
  ensurePackages([...BUILD_PACKAGES, ...TOOL_PACKAGES]);
  if (bpftrace) ensureBpftrace();
  ensureFilesystems();
  const builtAddon = buildAddon({ force });
  const bpf = buildBpf({ force, log: (m) => say(m) });
  say(`ready (${builtAddon ? 'addon built' : 'addon up to date'}, ${bpf.built.length} BPF objects built, ${bpf.upToDate.length} up to date, ${Date.now() - t0} ms)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureEbpf({ bpftrace: process.argv.includes('--bpftrace'), force: process.argv.includes('--force') });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
