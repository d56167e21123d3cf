/**
 * Where the package's compiled BPF programs are: packages/ebpf/bpf/build/<name>.bpf.o, built by
 * packages/ebpf/bpf/build.mjs from bpf/<name>.bpf.c (scripts/ensure-ebpf.mjs runs it).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/ebpf/bpf (the sources; the same from src/ and dist/). */
export const bpfSourceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bpf');

/** packages/ebpf/bpf/build */
export const bpfBuildDir = join(bpfSourceDir, 'build');

/** The object built from bpf/<name>.bpf.c: `objectPath('test/attach')`, `objectPath('latency')`. */
export function objectPath(name: string): string {
  return join(bpfBuildDir, `${name.replace(/\.bpf\.(c|o)$/, '')}.bpf.o`);
}
