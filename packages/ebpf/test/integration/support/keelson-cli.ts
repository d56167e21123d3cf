/** The real `keelson` command, run from sources, for the CLI tests of this package. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../../../../..');

export interface Keelson {
  proc: ChildProcess;
  stdout(): string;
  /** Exit code and output once the command ends. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `keelson ARGS`; a command still running after 2 minutes is killed. */
export function keelson(args: string[]): Keelson {
  const proc = spawn(process.execPath, ['--conditions=keelson-source', '--import', 'tsx', join(repo, 'packages/cli/src/bin/keelson.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) =>
    proc.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    }),
  );
  return { proc, stdout: () => stdout, done };
}

/** Polls `cond` for up to a minute; fails at once if `k` exited meanwhile, quoting what it printed. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, k?: Keelson): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await cond())) {
    if (Date.now() > deadline || k?.proc.exitCode != null) throw new Error(`timed out waiting for ${what}${k ? `; keelson printed: ${k.stdout()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
