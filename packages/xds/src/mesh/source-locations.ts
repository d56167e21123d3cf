/**
 * From a path in the MeshSpec a source built to the place in the source the user wrote:
 * validation runs on the spec (so both sources share it), but `services[0].routes[0]` may have
 * come from a `canary:` shorthand, or from a TrafficSplit's `spec.matches[0]`. A source records
 * positions for its own paths and aliases from spec paths to them; `locate` rewrites an error.
 */
import type { MeshSpecError } from './mesh-spec.js';
import type { MeshSourceError } from './errors.js';

export interface SourcePosition {
  line: number;
  column: number;
}

export class SourceLocations {
  private readonly positions = new Map<string, SourcePosition>();
  private readonly aliases: { specPrefix: string; sourcePrefix: string; source?: string }[] = [];

  constructor(private readonly source?: string) {}

  /** Where the value at `sourcePath` starts in the file. */
  setPosition(sourcePath: string, pos: SourcePosition): void {
    if (!this.positions.has(sourcePath)) this.positions.set(sourcePath, pos);
  }

  /** Spec paths under `specPrefix` came from `sourcePrefix` (optionally in another source, e.g. another object). */
  alias(specPrefix: string, sourcePrefix: string, source?: string): void {
    this.aliases.push({ specPrefix, sourcePrefix, source });
  }

  /** The error placed in the source: the longest alias rewrites its path, the longest recorded prefix gives its position. */
  locate(e: MeshSpecError): MeshSourceError {
    let path = e.path;
    let source = this.source;
    let best: (typeof this.aliases)[number] | undefined;
    for (const a of this.aliases) {
      if (underPrefix(e.path, a.specPrefix) && (!best || a.specPrefix.length > best.specPrefix.length)) best = a;
    }
    if (best) {
      path = best.sourcePrefix + e.path.slice(best.specPrefix.length);
      if (best.source !== undefined) source = best.source;
    }
    const out: MeshSourceError = { path, message: e.message };
    if (source !== undefined) out.source = source;
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
      const pos = this.positions.get(p);
      if (pos) {
        out.line = pos.line;
        out.column = pos.column;
        break;
      }
    }
    return out;
  }
}

/** True when `path` is `prefix` or lies under it (`a.b` is under `a`, `a[0]` too, `ab` is not). */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '' || next === '.' || next === '[';
}

/** `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ''; undefined after ''. */
export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}
