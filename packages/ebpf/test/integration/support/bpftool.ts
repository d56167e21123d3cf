/** What the kernel has loaded and attached, as bpftool (the kernel's own tool) reports it. */
import { execFileSync } from 'node:child_process';

interface BpftoolProg {
  id: number;
  name?: string;
  tag?: string;
}

interface BpftoolLink {
  id: number;
  prog_id: number;
  /** A name, or a number for link types newer than bpftool (7.1 prints tcx as 11). */
  type: string | number;
}

function bpftool<T>(args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['--json', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as T;
}

export function loadedPrograms(): BpftoolProg[] {
  return bpftool<BpftoolProg[]>(['prog', 'show']);
}

export function activeLinks(): BpftoolLink[] {
  return bpftool<BpftoolLink[]>(['link', 'show']);
}

/** bpftool map show id N, or undefined when no such map exists. */
export function mapById(id: number): { id: number; name: string } | undefined {
  return bpftool<Array<{ id: number; name: string }>>(['map', 'show']).find((m) => m.id === id);
}

/** Polls `check` until it returns true (kernel releases are deferred), or throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
