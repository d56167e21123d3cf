/**
 * Starts the real `keelson up` (the CLI, as a child process, from sources) on a free port in a
 * temporary data dir, and runs the real kubectl against it. Integration tests share it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const kubectlPath = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Keelson {
  url: string;
  dataDir: string;
  kubeconfig: string;
  proc: ChildProcess;
  /** Runs kubectl with this server's kubeconfig and a private discovery cache. */
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** SIGTERM, then waits for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** stop() and remove the data dir. */
  dispose(): Promise<void>;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    // A command that exits without reading stdin makes the write below fail with EPIPE; its
    // exit code and output are what the caller checks.
    p.stdin.on('error', () => {});
    p.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

export async function startKeelson(opts: { dataDir?: string; storage?: 'sqlite' | 'memory'; port?: number; extraArgs?: string[] } = {}): Promise<Keelson> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'keelson-it-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'keelson-kubectl-cache-'));
  const args = [
    '--conditions=keelson-source',
    '--import',
    'tsx',
    join(repoRoot, 'packages/cli/src/bin/keelson.ts'),
    'up',
    '--data-dir',
    dataDir,
    '--port',
    String(opts.port ?? 0),
    '--storage',
    opts.storage ?? 'sqlite',
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEELSON_LOG_LEVEL: process.env.KEELSON_LOG_LEVEL ?? 'warn' } });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => {
    err += d;
    if (process.env.KEELSON_TEST_VERBOSE) process.stderr.write(d);
  });
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`keelson up did not start within 30 s\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /is up at (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`keelson up exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
  const kubeconfig = join(dataDir, 'kubeconfig');
  let exited: Promise<number | null> = new Promise((r) => proc.once('exit', (c) => r(c)));
  const k: Keelson = {
    url,
    dataDir,
    kubeconfig,
    proc,
    kubectl: (a, o = {}) => run(kubectlPath, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...a], o),
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      exited = Promise.resolve(code);
      return code;
    },
    async dispose() {
      await k.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
  return k;
}
