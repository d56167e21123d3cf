/**
 * Finding a function to probe by the name a person writes (`uv_run`, `traced_sleep`,
 * `v8::internal::Heap::PerformGarbageCollection`, or an exact mangled name), and naming the
 * function that holds a file offset, for stacks. Symbol tables come from src/elf.ts.
 */
import { spawnSync } from 'node:child_process';
import { readSymbols, type ElfSymbol } from '../elf.js';

export class SymbolNotFoundError extends Error {
  override name = 'SymbolNotFoundError';
}

const isFunction = (s: ElfSymbol): boolean => s.type === 'func' || s.type === 'ifunc';

/**
 * The Itanium-ABI mangled prefixes of a qualified name: `a::B::f` is `_ZN1a1B1fE` (+ parameter
 * types), or `_ZNK...` for a const method. A plain name may also be a C++ free function `_Z<len><name>`.
 */
export function mangledPrefixes(qualified: string): string[] {
  const parts = qualified.split('::');
  if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return [];
  const enc = parts.map((p) => `${p.length}${p}`).join('');
  if (parts.length === 1) return [`_Z${enc}`];
  return [`_ZN${enc}E`, `_ZNK${enc}E`];
}

/**
 * Resolves `name` in the binary at `path`: an exact symbol name first, then the mangled forms of
 * a qualified C++ name (V8's parameter lists change between versions; the qualified name does
 * not). Overloads at different offsets are an error that lists them, so the caller can pass the
 * exact mangled one.
 */
export function resolveFunction(path: string, name: string): ElfSymbol {
  const all = readSymbols(path);
  let candidates = all.filter((s) => isFunction(s) && s.name === name);
  if (candidates.length === 0) {
    const prefixes = mangledPrefixes(name);
    if (name.startsWith('_Z')) prefixes.push(name);
    candidates = all.filter((s) => isFunction(s) && prefixes.some((p) => s.name.startsWith(p)));
  }
  const byOffset = new Map<number, ElfSymbol>();
  for (const c of candidates) {
    const have = byOffset.get(c.offset);
    // Prefer the global one of aliases at one address (C1/C2 constructors, .symtab/.dynsym copies).
    if (!have || (have.bind === 'local' && c.bind !== 'local')) byOffset.set(c.offset, c);
  }
  if (byOffset.size === 1) return [...byOffset.values()][0];
  if (byOffset.size === 0) {
    const functions = all.filter(isFunction).length;
    throw new SymbolNotFoundError(
      functions === 0
        ? `${path} has no function symbols (stripped): no "${name}" to probe; use a binary with its symbol table`
        : `no function "${name}" in ${path} (${functions} functions): check the spelling, or list candidates with \`nm -C ${path} | grep <part of the name>\``,
    );
  }
  const list = [...byOffset.values()].slice(0, 8);
  const shown = demangle(list.map((s) => s.name));
  throw new SymbolNotFoundError(
    `"${name}" matches ${byOffset.size} functions in ${path}; pass one exact mangled name:\n` + list.map((s, i) => `  ${s.name}  (${shown[i]})`).join('\n'),
  );
}

/** The functions of a binary ordered by file offset, to name the function holding an offset. */
export class FunctionIndex {
  private readonly functions: ElfSymbol[];

  constructor(path: string) {
    this.functions = readSymbols(path)
      .filter(isFunction)
      .sort((a, b) => a.offset - b.offset || b.size - a.size);
  }

  get size(): number {
    return this.functions.length;
  }

  /** The function whose code holds this file offset, and how far into it. */
  at(offset: number): { symbol: ElfSymbol; offset: number } | undefined {
    const fs = this.functions;
    let lo = 0;
    let hi = fs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (fs[mid].offset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Aliases and nested symbols share start offsets: look back a few for one that covers it.
    for (let i = found; i >= 0 && i > found - 8; i--) {
      const f = fs[i];
      if (offset >= f.offset && offset < f.offset + Math.max(f.size, 1)) return { symbol: f, offset: offset - f.offset };
    }
    return undefined;
  }
}

let cxxfilt: boolean | undefined;

/** Demangled names through binutils' c++filt when it is installed; the names unchanged otherwise. */
export function demangle(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  if (cxxfilt === false) return [...names];
  const r = spawnSync('c++filt', [], { input: names.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    cxxfilt = false;
    return [...names];
  }
  cxxfilt = true;
  const out = r.stdout.split('\n');
  return names.map((n, i) => out[i] || n);
}
