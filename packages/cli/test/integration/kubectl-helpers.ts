/**
 * Helpers for the real-kubectl suites: run kubectl and assert its exit code, read the tables it
 * prints, and follow a long-running `kubectl get -w` / `kubectl wait` line by line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlPath, type Keelson, type RunResult } from './harness.js';

type KubectlOpts = Parameters<Keelson['kubectl']>[1];

function describeRun(args: string[], r: RunResult): string {
  return `kubectl ${args.join(' ')}\nexit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Runs kubectl, asserts exit code 0, returns stdout. */
export async function ok(k: Keelson, args: string[], opts?: KubectlOpts): Promise<string> {
  const r = await k.kubectl(args, opts);
  assert.equal(r.code, 0, describeRun(args, r));
  return r.stdout;
}

/** Runs kubectl, asserts a non-zero exit code, returns the whole result. */
export async function fails(k: Keelson, args: string[], opts?: KubectlOpts): Promise<RunResult> {
  const r = await k.kubectl(args, opts);
  assert.notEqual(r.code, 0, describeRun(args, r));
  return r;
}

/** Applies a manifest from stdin, asserts success, returns stdout. */
export function applyYaml(k: Keelson, yaml: string, extra: string[] = []): Promise<string> {
  return ok(k, ['apply', '-f', '-', ...extra], { input: yaml });
}

export interface Table {
  headers: string[];
  rows: Record<string, string>[];
}

/**
 * Reads the first table kubectl printed. kubectl aligns every cell to the start of its header
 * (tabwriter, 3 spaces of padding), and a header may hold one space ("NOMINATED NODE"), so cells
 * are cut at the header positions.
 */
export function parseTable(text: string): Table {
  const lines = text.split('\n');
  const headerLine = lines[0] ?? '';
  const starts: number[] = [];
  const headers: string[] = [];
  for (const m of headerLine.matchAll(/\S+(?: \S+)*/g)) {
    starts.push(m.index);
    headers.push(m[0]);
  }
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') break;
    const row: Record<string, string> = {};
    headers.forEach((h, i) => (row[h] = line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim()));
    rows.push(row);
  }
  return { headers, rows };
}

/** The row whose first column (NAME, or the given column) is `name`; fails when absent. */
export function rowOf(table: Table, name: string, column = table.headers.includes('NAME') ? 'NAME' : table.headers[0]): Record<string, string> {
  const row = table.rows.find((r) => r[column] === name);
  assert.ok(row, `no row ${column}=${name} in:\n${JSON.stringify(table, null, 2)}`);
  return row;
}

/** Output of `-o name`, as a sorted list. */
export function names(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .sort();
}

export interface Follower {
  /** Everything printed so far, one entry per line. */
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolves with the first line (seen so far or later) that matches; rejects after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process ends on its own. */
  exited: Promise<number | null>;
  /** Kills the process (if still running) and cleans up. */
  stop(): Promise<void>;
}

/** Starts a long-running kubectl (get -w, wait) against `k` and follows its stdout. */
export function follow(k: Keelson, args: string[]): Follower {
  const cacheDir = mkdtempSync(join(tmpdir(), 'keelson-kubectl-follow-'));
  const p = spawn(kubectlPath, ['--kubeconfig', k.kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  p.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  return {
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines.find((l) => re.test(l));
          if (hit === undefined) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`kubectl ${args.join(' ')}: no line matching ${re} within ${timeoutMs} ms\nstdout:\n${lines.join('\n')}${partial}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(listener);
        };
        const listener = (): void => void check();
        if (!check()) waiters.add(listener);
      });
    },
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await exited;
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Writes an executable shell script (an EDITOR for `kubectl edit`) into a fresh temp dir. */
export function writeScript(body: string): { path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-editor-'));
  const path = join(dir, 'editor.sh');
  writeFileSync(path, `#!/bin/sh\nset -e\n${body}\n`);
  chmodSync(path, 0o755);
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
