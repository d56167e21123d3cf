/**
 * User-space addresses of one process back to names: /proc/PID/maps says which file (and where
 * in it) an address falls, the file's symbol table says which function. JIT code (V8) has no
 * file; if the process writes /tmp/perf-PID.map (`node --perf-basic-prof`) those frames are named
 * too, otherwise they show as `[anon]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { demangle, FunctionIndex } from './symbols.js';

export interface Mapping {
  start: number;
  end: number;
  offset: number;
  perms: string;
  path: string;
}

export interface Frame {
  address: number;
  /** Demangled function name, when known. */
  name?: string;
  /** Bytes into the function. */
  offset?: number;
  /** File (or [anon], [vdso], ...) the address is in. */
  module: string;
}

export function readProcessMaps(pid: number): Mapping[] {
  const text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), perms: m[3], offset: parseInt(m[4], 16), path: m[5] });
  }
  return out;
}

export class StackSymbolizer {
  readonly pid: number;
  private maps: Mapping[];
  private readonly files = new Map<string, FunctionIndex | null>();
  private perfMap?: { start: number; end: number; name: string }[];
  private readonly names = new Map<string, string>();

  constructor(pid: number) {
    this.pid = pid;
    this.maps = readProcessMaps(pid);
  }

  private index(path: string): FunctionIndex | null {
    let f = this.files.get(path);
    if (f === undefined) {
      // Through the process's root, so a process in a container resolves its own files.
      const candidates = [`/proc/${this.pid}/root${path}`, path];
      f = null;
      for (const p of candidates) {
        try {
          f = new FunctionIndex(p);
          break;
        } catch {
          // Not readable from here or not ELF: unnamed frames, not an error.
        }
      }
      this.files.set(path, f);
    }
    return f;
  }

  private jit(address: number): string | undefined {
    if (this.perfMap === undefined) {
      this.perfMap = [];
      const file = `/tmp/perf-${this.pid}.map`;
      if (existsSync(file)) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const m = /^([0-9a-fA-F]+) ([0-9a-fA-F]+) (.*)$/.exec(line);
          if (m) this.perfMap.push({ start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16), name: m[3] });
        }
      }
    }
    // Later lines win: V8 reuses code space.
    for (let i = this.perfMap.length - 1; i >= 0; i--) {
      const e = this.perfMap[i];
      if (address >= e.start && address < e.end) return e.name;
    }
    return undefined;
  }

  private mappingOf(address: number): Mapping | undefined {
    return this.maps.find((m) => address >= m.start && address < m.end);
  }

  /** Names every address; unknown ones keep just their module. */
  symbolize(addresses: readonly (number | bigint)[]): Frame[] {
    const frames: Frame[] = addresses.map((a) => {
      const address = Number(a);
      let m = this.mappingOf(address);
      if (!m) {
        // Libraries loaded after we read the maps.
        try {
          this.maps = readProcessMaps(this.pid);
        } catch {
          // The process exited: keep what we had.
        }
        m = this.mappingOf(address);
      }
      if (!m) return { address, module: '[unknown]' };
      if (!m.path.startsWith('/')) {
        const name = this.jit(address);
        return name ? { address, name, module: m.path || '[anon]' } : { address, module: m.path || '[anon]' };
      }
      const hit = this.index(m.path)?.at(address - m.start + m.offset);
      return hit ? { address, name: hit.symbol.name, offset: hit.offset, module: m.path } : { address, module: m.path };
    });
    const unknown = [...new Set(frames.map((f) => f.name).filter((n): n is string => !!n && n.startsWith('_Z') && !this.names.has(n)))];
    demangle(unknown).forEach((d, i) => this.names.set(unknown[i], d));
    for (const f of frames) if (f.name && this.names.has(f.name)) f.name = this.names.get(f.name);
    return frames;
  }
}

export function formatFrame(f: Frame): string {
  const where = f.name ? `${f.name}+0x${(f.offset ?? 0).toString(16)}` : `0x${f.address.toString(16)}`;
  return `${where} (${f.module})`;
}
