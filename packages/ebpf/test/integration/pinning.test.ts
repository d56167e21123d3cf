// Pinning in bpffs: a pinned map, program and link outlive their object's close (the program keeps
// running), can be reopened by path, and go away when unpinned and released. Also maps that libbpf
// pins by name under an object's pin root and reuses on the next load.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BpfMap, BpfObject, Link, ensureBpffs, ensureTracefs, isMounted, objectPath, u32, u64Number, unpin } from '../../src/index.js';
import { activeLinks, loadedPrograms, mapById, waitFor } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const TRACEPOINT = 0;

describe('pinning in bpffs', { skip: skipUnlessRoot }, () => {
  let root: string;

  before(() => {
    requireBuilt('test/attach', 'test/pinned');
    ensureBpffs();
    root = `/sys/fs/bpf/keelson-test-${randomBytes(4).toString('hex')}`;
    mkdirSync(root);
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a pinned link keeps its program attached after close, until unpinned and detached', async () => {
    const obj = BpfObject.open(objectPath('test/attach'));
    let progId = 0;
    let linkId = 0;
    let mapId = 0;
    try {
      obj.setGlobal('target_tgid', u32, process.pid);
      await obj.load();
      const prog = obj.program('count_kill');
      const link = prog.attachTracepoint('syscalls/sys_enter_kill');
      link.pin(`${root}/link`);
      prog.pin(`${root}/prog`);
      const counters = obj.map('counters', { key: u32, value: u64Number });
      counters.pin(`${root}/counters`);
      assert.equal(link.state, 'pinned');
      [progId, linkId, mapId] = [prog.info().id, link.info().id, counters.info().id];
    } finally {
      obj.close();
    }
    // The object is closed; the pins hold the link, program and map.
    assert.ok(existsSync(`${root}/link`));
    assert.ok(loadedPrograms().some((p) => p.id === progId));
    assert.ok(activeLinks().some((l) => l.id === linkId));
    const counters = BpfMap.openPinned(`${root}/counters`, { key: u32, value: u64Number });
    const start = counters.lookup(TRACEPOINT)!;
    for (let i = 0; i < 6; i++) process.kill(process.pid, 0);
    assert.equal(counters.lookup(TRACEPOINT)! - start, 6, 'the program still runs with its object closed');

    const reopened = Link.openPinned(`${root}/link`);
    assert.equal(reopened.info().id, linkId);
    reopened.detach(); // unpins and cuts the attachment
    assert.ok(!existsSync(`${root}/link`));
    process.kill(process.pid, 0);
    assert.equal(counters.lookup(TRACEPOINT)! - start, 6, 'detached');

    unpin(`${root}/prog`);
    unpin(`${root}/counters`);
    counters.close();
    await waitFor('the program, link and map to be freed', () => !loadedPrograms().some((p) => p.id === progId) && !activeLinks().some((l) => l.id === linkId) && !mapById(mapId));
    assert.throws(() => unpin(`${root}/prog`), /nothing is pinned there/);
    assert.throws(() => Link.openPinned(`${root}/nothing`), /ENOENT|No such file/);
  });

  it('maps pinned by name under pinRoot are reused by the next load', async () => {
    const first = BpfObject.open(objectPath('test/pinned'), { pinRoot: root });
    try {
      await first.load();
      assert.ok(existsSync(`${root}/shared_state`), 'libbpf pinned the map at load');
      first.map('shared_state', { key: u32, value: u64Number }).update(1, 41);
      first.program('touch_state').testRun({ data: new Uint8Array(64) });
    } finally {
      first.close();
    }
    const second = BpfObject.open(objectPath('test/pinned'), { pinRoot: root });
    try {
      await second.load();
      assert.equal(second.map('shared_state', { key: u32, value: u64Number }).lookup(1), 42, 'state from the first load');
    } finally {
      second.close();
    }
    unpin(`${root}/shared_state`);
  });

  it('pinning outside bpffs is refused with the reason', async () => {
    const obj = BpfObject.open(objectPath('test/attach'));
    try {
      await obj.load();
      assert.throws(() => obj.program('count_kill').pin('/tmp/keelson-not-bpffs'), /pin at \/tmp\/keelson-not-bpffs/);
    } finally {
      obj.close();
    }
  });

  it('ensureBpffs and ensureTracefs mount when absent and do nothing when present', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keelson-mounts-'));
    const bpf = join(dir, 'bpf');
    const tracing = join(dir, 'tracing');
    try {
      assert.equal(ensureBpffs(bpf), true, 'mounted now');
      assert.ok(isMounted(bpf, 'bpf'));
      assert.equal(ensureBpffs(bpf), false, 'already there');
      assert.equal(ensureTracefs(tracing), true);
      assert.ok(existsSync(join(tracing, 'events')), 'a working tracefs');
      assert.equal(ensureTracefs(tracing), false);
    } finally {
      for (const m of [bpf, tracing]) spawnSync('umount', [m], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
