// A process that attached programs and is then SIGKILLed (no exit hook runs) leaves nothing
// behind: the kernel closes its fds, and its links and programs go with them. Checked with bpftool.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { activeLinks, loadedPrograms, waitFor } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';
import { createVethPair, type VethPair } from './support/netns.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const child = join(fixtures, 'attach-and-wait.ts');

function tcFilters(ns: string, dev: string): string {
  return execFileSync('tc', ['-n', ns, 'filter', 'show', 'dev', dev, 'ingress'], { encoding: 'utf8' });
}

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: p.stdout! }).once('line', resolve);
    p.once('exit', (code) => reject(new Error(`child exited (${code}) before attaching`)));
  });
}

describe('a killed process', { skip: skipUnlessRoot }, () => {
  let net: VethPair;

  before(() => {
    requireBuilt('test/attach');
    net = createVethPair('kebpf-kill');
  });

  after(() => net?.remove());

  it('leaves no program or link attached (tracepoint, raw tracepoint, tcx, XDP)', async () => {
    const p = spawn(process.execPath, ['--conditions=keelson-source', '--import', 'tsx', child, net.nsB, net.ifB], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await firstLine(p);
      const ids = JSON.parse(line) as { programs: number[]; links: number[] };
      assert.equal(ids.links.length, 4);
      // While it lives, the kernel has them: the check below can fail.
      const progsNow = new Set(loadedPrograms().map((x) => x.id));
      const linksNow = new Set(activeLinks().map((x) => x.id));
      assert.ok(ids.programs.every((id) => progsNow.has(id)), 'programs loaded while the child lives');
      assert.ok(ids.links.every((id) => linksNow.has(id)), 'links attached while the child lives');

      p.kill('SIGKILL');
      await new Promise((resolve) => p.once('exit', resolve));
      // The kernel frees links and programs after the last fd closes, asynchronously (RCU).
      await waitFor('the killed child\'s links and programs to be gone', () => {
        const progs = new Set(loadedPrograms().map((x) => x.id));
        const links = new Set(activeLinks().map((x) => x.id));
        return ids.programs.every((id) => !progs.has(id)) && ids.links.every((id) => !links.has(id));
      });
    } finally {
      p.kill('SIGKILL');
    }
  });

  // clsact filters are netlink state, not fds: the kernel keeps them after the process is gone,
  // which is why the exit hook exists. A normal exit must leave nothing behind either.
  it('that exits normally removes its classic clsact filters (the exit hook)', async () => {
    const p = spawn(process.execPath, ['--conditions=keelson-source', '--import', 'tsx', join(fixtures, 'attach-clsact-and-exit.ts'), net.nsB, net.ifB], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      assert.equal(await firstLine(p), 'attached');
      assert.match(tcFilters(net.nsB, net.ifB), /bpf .*count_tc_ingres/, 'the filter is there while the child runs');
      p.stdin!.end('exit\n');
      const code = await new Promise((resolve) => p.once('exit', resolve));
      assert.equal(code, 0);
      assert.equal(tcFilters(net.nsB, net.ifB).trim(), '', 'no filter left after exit');
    } finally {
      p.kill('SIGKILL');
    }
  });
});
