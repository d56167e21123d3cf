// Builds every BPF C program under packages/ebpf/bpf/ (any *.bpf.c, in any folder) into
// packages/ebpf/bpf/build/<same path>.bpf.o, with CO-RE against a vmlinux.h generated from this
// kernel's BTF. Skips what is up to date (object newer than its source, every header under bpf/,
// and vmlinux.h). Installs nothing: scripts/ensure-ebpf.mjs installs clang and bpftool first.
//   node packages/ebpf/bpf/build.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bpfDir = dirname(fileURLToPath(import.meta.url));
export const buildDir = join(bpfDir, 'build');
const vmlinuxBtf = '/sys/kernel/btf/vmlinux';

const targetArch = { x64: 'x86', arm64: 'arm64', arm: 'arm', s390x: 's390', ppc64: 'powerpc', riscv64: 'riscv' }[process.arch];

function walk(dir, pick) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (p !== buildDir) out.push(...walk(p, pick));
    } else if (pick(entry.name)) out.push(p);
  }
  return out.sort();
}

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : -1;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error?.code === 'ENOENT') {
    throw new Error(`${cmd} not found, needed to ${what}: run \`node scripts/ensure-ebpf.mjs\` (installs clang, llvm, libbpf-dev, bpftool)`);
  }
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} exit code ${r.status}):\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** vmlinux.h for this kernel: regenerated when missing or when the running kernel changed. */
function ensureVmlinuxHeader(log) {
  const header = join(buildDir, 'vmlinux.h');
  const stamp = join(buildDir, 'vmlinux.release');
  const kernel = release();
  if (existsSync(header) && existsSync(stamp) && readFileSync(stamp, 'utf8') === kernel) return header;
  if (!existsSync(vmlinuxBtf)) throw new Error(`${vmlinuxBtf} is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF, which CO-RE needs`);
  log(`vmlinux.h from ${vmlinuxBtf} (kernel ${kernel})`);
  const text = run('bpftool', ['btf', 'dump', 'file', vmlinuxBtf, 'format', 'c'], 'generate vmlinux.h');
  writeFileSync(header + '.tmp', text);
  renameSync(header + '.tmp', header);
  writeFileSync(stamp, kernel);
  return header;
}

/** The object a source builds to: bpf/x/y.bpf.c -> bpf/build/x/y.bpf.o */
export function objectFor(source) {
  return join(buildDir, relative(bpfDir, source).replace(/\.c$/, '.o'));
}

/**
 * Compiles what is out of date. Returns { built, upToDate } (paths of objects).
 * Throws with clang's own message when a program does not compile.
 */
export function buildBpf({ force = false, log = () => {} } = {}) {
  if (!targetArch) throw new Error(`no BPF target architecture known for ${process.arch}`);
  mkdirSync(buildDir, { recursive: true });
  const vmlinux = ensureVmlinuxHeader(log);
  const sources = walk(bpfDir, (n) => n.endsWith('.bpf.c'));
  const headers = walk(bpfDir, (n) => n.endsWith('.h'));
  const newestInput = Math.max(mtime(vmlinux), ...headers.map(mtime));
  const built = [];
  const upToDate = [];
  for (const src of sources) {
    const out = objectFor(src);
    if (!force && mtime(out) >= Math.max(mtime(src), newestInput)) {
      upToDate.push(out);
      continue;
    }
    mkdirSync(dirname(out), { recursive: true });
    log(`clang ${relative(bpfDir, src)}`);
    run(
      'clang',
      ['-O2', '-g', '-Wall', '-Wno-unused-function', '-target', 'bpf', `-D__TARGET_ARCH_${targetArch}`, '-I', buildDir, '-I', bpfDir, '-I', dirname(src), '-c', src, '-o', out + '.tmp'],
      `compile ${relative(bpfDir, src)}`,
    );
    renameSync(out + '.tmp', out);
    built.push(out);
  }
  return { built, upToDate };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  const r = buildBpf({ force: process.argv.includes('--force'), log: (m) => process.stdout.write(`bpf: ${m}\n`) });
  process.stdout.write(`bpf: ${r.built.length} built, ${r.upToDate.length} up to date (${Date.now() - t0} ms)\n`);
}
