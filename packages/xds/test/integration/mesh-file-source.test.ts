// MeshFileSource on a real directory: in-place writes, an editor's write-then-rename, a
// Kubernetes ConfigMap volume's `..data` symlink swap, a deleted and recreated file. Valid changes
// are emitted; invalid ones are reported with every problem while the last good spec stays; a
// change that alters nothing (a comment) emits nothing. Polling is off, so fs.watch alone is tested.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MeshFileSource } from '../../src/mesh/file-source.js';
import { MeshConfigError, formatMeshError } from '../../src/mesh/errors.js';
import { MeshEvents as Events, type UpdateEvent } from '../fixtures/mesh/mesh-events.js';
import { repoRoot, run } from '../../../cli/test/integration/harness.js';

const mesh = (weightV2: number, comment = ''): string => `# mesh${comment}
services:
  - name: greeter
    versions:
      - name: v1
        endpoints: ["127.0.0.1:50051"]
      - name: v2
        endpoints: ["127.0.0.1:50061"]
    canary: { version: v2, weight: ${weightV2} }
`;
const logger = pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'silent' });

/**
 * Replaces a file as editors do (write a temporary file, rename it over): a reader never sees it
 * half-written, so on a loaded machine the events a test expects cannot gain an "empty file" in between.
 */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const canaryWeight = (ev: UpdateEvent): number | undefined =>
  ev.spec.services[0].routes.at(-1)!.destinations.find((d) => d.version === 'v2')?.weight;

describe('MeshFileSource', () => {
  let dir: string;
  let file: string;
  let stop: AbortController;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-mesh-'));
    file = join(dir, 'mesh.yaml');
    stop = new AbortController();
  });
  afterEach(() => {
    stop.abort();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits the current spec, then each valid change, written in place or renamed over the file', async () => {
    writeFileSync(file, mesh(10));
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger });
    const events = new Events(source.watch(stop.signal));
    const first = await events.update('the initial spec');
    assert.equal(canaryWeight(first), 10);
    assert.deepEqual(first.rejected, []);

    // In place (truncate, then write): a read between the two would see an empty file, reported
    // as invalid; what matters is that the written mesh arrives.
    writeFileSync(file, mesh(20));
    const second = await events.until('the in-place write', (ev) => canaryWeight(ev) === 20);
    assert.equal(canaryWeight(second), 20);
    assert.notEqual(second.version, first.version);

    // An editor's save: write a temporary file next to it, rename it over the original.
    writeFileSync(join(dir, '.mesh.yaml.swp'), mesh(30));
    renameSync(join(dir, '.mesh.yaml.swp'), file);
    assert.equal(canaryWeight(await events.update('the rename over the file')), 30);

    // A comment changes the bytes but not the mesh: nothing is emitted. The next event is the
    // real change after it.
    replaceFile(file, mesh(30, ' edited'));
    writeFileSync(join(dir, 'unrelated.txt'), 'a file next to it changed');
    replaceFile(file, mesh(40, ' edited'));
    assert.equal(canaryWeight(await events.update('the change after the comment')), 40);
    assert.equal(source.lastGood?.spec.services[0].routes.at(-1)!.destinations[1].weight, 40);
  });

  it('reports an invalid file with all its problems and keeps the last good spec, until fixed', async () => {
    writeFileSync(file, mesh(10));
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger, source: 'mesh.yaml' });
    const events = new Events(source.watch(stop.signal));
    const good = await events.update('the initial spec');

    replaceFile(file, mesh(10).replace('version: v2', 'version: v3').replace('"127.0.0.1:50051"', '"localhost:50051"'));
    const bad = await events.invalid('the broken file');
    assert.deepEqual(bad.errors.map(formatMeshError), [
      'mesh.yaml:6:21: services[0].versions[0].endpoints[0].address: "localhost" is not an IP address; xDS clients (grpc-js) connect to IP literals only: resolve the host name first or list its addresses',
      'mesh.yaml:9:24: services[0].canary.version: "v3" is not a version of this service (its versions: v1, v2); fix the name or add the version',
    ]);
    assert.equal(bad.serving, good.version);
    assert.equal(source.lastGood?.version, good.version, 'the last good spec stays');

    replaceFile(file, 'services: [\n');
    const syntax = await events.invalid('the YAML syntax error');
    assert.match(formatMeshError(syntax.errors[0]), /^mesh\.yaml:\d+:\d+: YAML: /);
    assert.equal(source.lastGood?.version, good.version);

    // Fixed back to the same mesh: an update again (the consumer learns the file is fine), same version.
    replaceFile(file, mesh(10, ' fixed'));
    const fixed = await events.update('the fixed file');
    assert.equal(fixed.version, good.version);
  });

  it('survives the file being deleted and created again', async () => {
    writeFileSync(file, mesh(10));
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger });
    const events = new Events(source.watch(stop.signal));
    const good = await events.update('the initial spec');
    unlinkSync(file);
    const gone = await events.invalid('the deleted file');
    assert.match(gone.errors[0].message, /no such file \(.*\); create it or fix the path/);
    assert.equal(gone.serving, good.version);
    replaceFile(file, mesh(50));
    assert.equal(canaryWeight(await events.update('the recreated file')), 50);
  });

  it('follows a Kubernetes ConfigMap volume, where the ..data symlink is swapped', async () => {
    // The kubelet's atomic writer: mesh.yaml -> ..data/mesh.yaml, ..data -> ..<timestamp>/.
    mkdirSync(join(dir, '..2026_01'));
    writeFileSync(join(dir, '..2026_01', 'mesh.yaml'), mesh(10));
    symlinkSync('..2026_01', join(dir, '..data'));
    symlinkSync('..data/mesh.yaml', file);
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger });
    const events = new Events(source.watch(stop.signal));
    assert.equal(canaryWeight(await events.update('the initial spec')), 10);

    mkdirSync(join(dir, '..2026_02'));
    writeFileSync(join(dir, '..2026_02', 'mesh.yaml'), mesh(60));
    symlinkSync('..2026_02', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    assert.equal(canaryWeight(await events.update('the swapped ConfigMap')), 60);
  });

  it('starts on an invalid file with an invalid event, and serves once it is fixed', async () => {
    writeFileSync(file, 'services: [{ name: greeter }]\n');
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger });
    const events = new Events(source.watch(stop.signal));
    const first = await events.invalid('the invalid initial file');
    assert.equal(first.serving, undefined, 'nothing good to serve yet');
    assert.equal(source.lastGood, undefined);
    replaceFile(file, mesh(5));
    assert.equal(canaryWeight(await events.update('the fixed file')), 5);
  });

  it('notices changes by polling alone when fs.watch sees nothing', async () => {
    // A symlinked file outside the watched directory: only the poll can see the target change.
    const elsewhere = mkdtempSync(join(tmpdir(), 'keelson-mesh-target-'));
    try {
      writeFileSync(join(elsewhere, 'real.yaml'), mesh(10));
      symlinkSync(join(elsewhere, 'real.yaml'), file);
      const source = new MeshFileSource(file, { pollIntervalMs: 100, logger });
      const events = new Events(source.watch(stop.signal));
      assert.equal(canaryWeight(await events.update('the initial spec')), 10);
      replaceFile(join(elsewhere, 'real.yaml'), mesh(70));
      assert.equal(canaryWeight(await events.update('the change seen by polling')), 70);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('ends the iteration when the signal aborts', async () => {
    writeFileSync(file, mesh(10));
    const source = new MeshFileSource(file, { pollIntervalMs: 0, logger });
    const seen: string[] = [];
    for await (const ev of source.watch(stop.signal)) {
      seen.push(ev.type);
      stop.abort();
    }
    assert.deepEqual(seen, ['update']);
  });

  it('lets the process exit once the signal aborts, even if the reader stopped reading', async () => {
    // In a child process: the watch keeps it alive while watching (it is work asked for), and
    // nothing must be left once aborted, although the iterator was never return()ed.
    writeFileSync(file, mesh(10));
    const script = `
      import { MeshFileSource } from ${JSON.stringify(new URL('../../src/mesh/file-source.ts', import.meta.url).href)};
      import { pino } from 'pino';
      const stop = new AbortController();
      const it = new MeshFileSource(${JSON.stringify(file)}, { logger: pino({ level: 'silent' }) }).watch(stop.signal)[Symbol.asyncIterator]();
      const first = await it.next();
      console.log(first.value.type);
      setTimeout(() => stop.abort(), 200); // the watch alone holds the process until then
    `;
    const r = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'update');
  });

  it('load() returns the spec, or throws MeshConfigError naming every problem', async () => {
    writeFileSync(file, mesh(10));
    const source = new MeshFileSource(file, { logger, source: 'mesh.yaml' });
    const loaded = await source.load();
    assert.equal(loaded.spec.services[0].name, 'greeter');
    writeFileSync(file, 'services: [{ name: a, versions: [], extra: 1 }]\n');
    await assert.rejects(source.load(), (err: unknown) => {
      assert.ok(err instanceof MeshConfigError);
      assert.deepEqual(err.errors.map((e) => e.path), ['services[0].versions', 'services[0].extra']);
      return true;
    });
    await assert.rejects(new MeshFileSource(join(dir, 'missing.yaml'), { logger }).load(), /no such file \(.*\); create it or fix the path/);
  });
});
