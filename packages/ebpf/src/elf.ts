/**
 * Symbols of an ELF binary, for uprobes: which functions a binary has and at which file offset
 * each starts (what the kernel's uprobe wants). Reads `.symtab` (present in unstripped binaries;
 * Node >= 24.11 keeps V8's internals only there) and `.dynsym`, with only the header, section
 * headers and the symbol/string tables read from disk (a 100 MB node binary costs ~15 MB of reads).
 *
 * ```ts
 * const gc = resolveSymbol('/usr/bin/node', '_ZN2v88internal4Heap24PerformGarbageCollectionENS0_16GarbageCollectorENS0_23GarbageCollectionReasonEPKc');
 * findSymbols('/usr/bin/node', /^uv_run$/);
 * ```
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type SymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'common' | 'tls' | 'ifunc' | 'other';
export type SymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSymbol {
  name: string;
  /** Virtual address (st_value). */
  address: number;
  size: number;
  type: SymbolType;
  bind: SymbolBind;
  /** File offset of the symbol's first byte: what a uprobe attaches to. */
  offset: number;
  table: 'symtab' | 'dynsym';
}

export class ElfError extends Error {
  override name = 'ElfError';
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const TYPES: SymbolType[] = ['notype', 'object', 'func', 'section', 'file', 'common', 'tls'];
const BINDS: SymbolBind[] = ['local', 'global', 'weak'];

interface Section {
  name: number;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function read(fd: number, position: number, length: number, path: string): Buffer {
  const b = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, length - done, position + done);
    if (n === 0) throw new ElfError(`${path}: truncated ELF file (wanted ${length} bytes at ${position})`);
    done += n;
  }
  return b;
}

function cstr(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end < 0 ? b.length : end);
}

function parse(path: string, fd: number): ElfSymbol[] {
  const h = read(fd, 0, 64, path);
  if (h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${path} is not an ELF file`);
  if (h[4] !== 2) throw new ElfError(`${path} is a 32-bit ELF file; only 64-bit binaries are supported`);
  if (h[5] !== 1) throw new ElfError(`${path} is a big-endian ELF file; only little-endian binaries are supported`);
  const shoff = Number(h.readBigUInt64LE(0x28));
  const shentsize = h.readUInt16LE(0x3a);
  let shnum = h.readUInt16LE(0x3c);
  if (shoff === 0) throw new ElfError(`${path} has no section headers`);
  if (shnum === 0) shnum = Number(read(fd, shoff, 64, path).readBigUInt64LE(32)); // extended numbering
  const sh = read(fd, shoff, shentsize * shnum, path);
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    sections.push({
      name: sh.readUInt32LE(o),
      type: sh.readUInt32LE(o + 4),
      addr: Number(sh.readBigUInt64LE(o + 16)),
      offset: Number(sh.readBigUInt64LE(o + 24)),
      size: Number(sh.readBigUInt64LE(o + 32)),
      link: sh.readUInt32LE(o + 40),
      entsize: Number(sh.readBigUInt64LE(o + 56)),
    });
  }
  const out: ElfSymbol[] = [];
  for (const s of sections) {
    if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
    const table = s.type === SHT_SYMTAB ? 'symtab' : 'dynsym';
    const strSec = sections[s.link];
    if (!strSec) continue;
    const strtab = read(fd, strSec.offset, strSec.size, path);
    const syms = read(fd, s.offset, s.size, path);
    const entsize = s.entsize || 24;
    for (let o = entsize; o + 24 <= syms.length; o += entsize) {
      const shndx = syms.readUInt16LE(o + 6);
      if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
      const sec = sections[shndx];
      if (!sec) continue;
      const info = syms[o + 4];
      const address = Number(syms.readBigUInt64LE(o + 8));
      out.push({
        name: cstr(strtab, syms.readUInt32LE(o)),
        address,
        size: Number(syms.readBigUInt64LE(o + 16)),
        type: TYPES[info & 0xf] ?? ((info & 0xf) === 10 ? 'ifunc' : 'other'),
        bind: BINDS[info >> 4] ?? 'other',
        // The section maps addresses to file bytes: offset = address - sh_addr + sh_offset.
        offset: address - sec.addr + sec.offset,
        table,
      });
    }
  }
  return out;
}

const cache = new Map<string, ElfSymbol[]>();

/** Every defined symbol of `path` (both tables). Cached per file version (inode, size, mtime). */
export function readSymbols(path: string): ElfSymbol[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ElfError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const key = `${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    let syms = cache.get(key);
    if (!syms) {
      syms = parse(path, fd);
      cache.set(key, syms);
    }
    return syms;
  } finally {
    closeSync(fd);
  }
}

/** Symbols whose name matches: a RegExp, a predicate, or an exact string. */
export function findSymbols(path: string, match: RegExp | string | ((s: ElfSymbol) => boolean)): ElfSymbol[] {
  const test = typeof match === 'string' ? (s: ElfSymbol) => s.name === match : match instanceof RegExp ? (s: ElfSymbol) => match.test(s.name) : match;
  return readSymbols(path).filter(test);
}

/**
 * The function `name` in `path`, for a uprobe. Exact (mangled) names; copies of one symbol in
 * both tables count once. Throws naming near matches when absent, and the candidates when two
 * different definitions share the name (local symbols of different files).
 */
export function resolveSymbol(path: string, name: string): ElfSymbol {
  const all = readSymbols(path);
  const hits = all.filter((s) => s.name === name && (s.type === 'func' || s.type === 'ifunc' || s.type === 'notype'));
  const distinct = [...new Map(hits.map((s) => [s.offset, s])).values()];
  if (distinct.length === 1) return distinct[0];
  if (distinct.length === 0) {
    if (all.length === 0) throw new ElfError(`${path} has no symbols (stripped?): no function "${name}" to attach to`);
    const near = all.filter((s) => s.type === 'func' && s.name.includes(name)).slice(0, 5).map((s) => s.name);
    throw new ElfError(`no function "${name}" in ${path}${near.length ? `; similar: ${near.join(', ')}` : ''}`);
  }
  // Prefer the one global definition over local ones of the same name, as the linker would.
  const globals = distinct.filter((s) => s.bind !== 'local');
  if (globals.length === 1) return globals[0];
  throw new ElfError(`"${name}" is defined ${distinct.length} times in ${path} (offsets ${distinct.map((s) => `0x${s.offset.toString(16)}`).join(', ')}): pass an offset instead`);
}
