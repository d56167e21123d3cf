/**
 * The server under test: the compiled `keelson up` (SQLite storage, a temporary data dir) as a
 * child process, so its memory and CPU are its own and the load generator does not share its
 * event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRoot } from '../lib/results.js';

/**
 * The compiled CLI. KEELSON_BENCH_SERVER_ENTRY names another script that takes `keelson up`'s
 * flags and prints the same "is up at" line (for A/B experiments on a server variant).
 */
export const cliPath = process.env.KEELSON_BENCH_SERVER_ENTRY ?? join(benchRoot, '..', 'packages', 'cli', 'dist', 'bin', 'keelson.js');

export interface KeelsonProcess {
  url: string;
  pid: number;
  dataDir: string;
  /** PEM of the cluster CA (from the kubeconfig's certificate-authority-data). */
  caPem: string;
  token: string;
  kubeconfigPath: string;
  /** VmRSS, VmHWM, RssAnon, RssFile of the server process, in bytes. */
  memory(): ProcStatusMemory;
  /** CPU time (user + system) the server process has used so far, in ms. */
  cpuMs(): number;
  /** SIGINT (a clean stop, which also writes a --cpu-prof profile), then removes the data dir. */
  stop(): Promise<void>;
}

export interface ProcStatusMemory {
  vmRss: number;
  vmHwm: number;
  rssAnon: number;
  rssFile: number;
}

export interface StartKeelsonOptions {
  /** Extra node flags for the server (e.g. --cpu-prof, --cpu-prof-dir=...). */
  nodeFlags?: string[];
}

export async function startKeelson(opts: StartKeelsonOptions = {}): Promise<KeelsonProcess> {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: build first (npm run build, or npm run bench which builds)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'keelson-bench-'));
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), cliPath, 'up', '--data-dir', dataDir, '--port', '0', '--storage', 'sqlite', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Files a profiling flag drops in the working directory (v8 logs) go away with the data dir.
    cwd: dataDir,
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[keelson] ${d.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let url: string;
  try {
    url = await waitForUrl(child, exited);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  child.stdout!.resume();
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  const kubeconfig = readFileSync(kubeconfigPath, 'utf8');
  const ca = /certificate-authority-data:\s*(\S+)/.exec(kubeconfig)?.[1];
  const token = /token:\s*(\S+)/.exec(kubeconfig)?.[1];
  if (!ca || !token) throw new Error(`${kubeconfigPath} has no certificate-authority-data or token`);
  const pid = child.pid!;
  return {
    url,
    pid,
    dataDir,
    caPem: Buffer.from(ca, 'base64').toString('utf8'),
    token,
    kubeconfigPath,
    memory: () => procStatusMemory(pid),
    cpuMs: () => procCpuMs(pid),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForUrl(child: ChildProcess, exited: Promise<number | null>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`keelson up printed no URL within 30 s; it printed: ${out}`)), 30_000);
    child.stdout!.on('data', function onData(d: Buffer) {
      out += d.toString();
      const m = /is up at (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`keelson up exited with code ${code} before it was up; it printed: ${out}`));
    });
  });
}

/** Memory lines of /proc/<pid>/status (Linux), in bytes. */
export function procStatusMemory(pid: number): ProcStatusMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  };
  return { vmRss: kb('VmRSS'), vmHwm: kb('VmHWM'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

/** utime + stime of /proc/<pid>/stat, in ms (clock ticks of 10 ms: USER_HZ is 100 on Linux). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
