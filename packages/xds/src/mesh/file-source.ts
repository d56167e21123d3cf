/**
 * MeshFileSource: a mesh.yaml on disk as a stream of specs. It watches the file's directory (so
 * an editor's write-to-temp-then-rename, or Kubernetes swapping a ConfigMap volume's `..data`
 * link, is seen, which a watch on the file's inode would miss), waits for writes to settle,
 * re-reads, and compares content hashes so a touch or an unchanged save emits nothing. A valid
 * file becomes an `update`; an invalid one an `invalid` event with every problem, while the last
 * good spec stays: a file is applied whole or not at all.
 *
 * ```ts
 * const source = new MeshFileSource('mesh.yaml');
 * const first = await source.load(); // throws MeshConfigError listing every problem
 * for await (const ev of source.watch(signal)) {
 *   if (ev.type === 'update') cache.setSnapshot(meshToSnapshot(ev.spec, ev.version));
 *   else for (const e of ev.errors) log.warn(formatMeshError(e));
 * }
 * ```
 */
import { createHash } from 'node:crypto';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventChannel } from './event-channel.js';
import { MeshConfigError, formatMeshError, type MeshSourceError } from './errors.js';
import { parseMeshFile } from './mesh-file.js';
import { coalesceMeshEvents, type MeshSource, type MeshSourceEvent, type MeshUpdate } from './mesh-source.js';
import { defaultLogger } from '../logger.js';
import { meshSourceMetrics, type MeshSourceMetrics } from './metrics.js';
import { meshSpecVersion } from './spec-version.js';

export interface MeshFileSourceOptions {
  /**
   * Quiet time after the last change before the file is read, in ms. Default 50: an editor's
   * save is several writes and renames within a few ms; one read after them sees the result.
   */
  debounceMs?: number;
  /**
   * Longest a read is put off while changes keep coming, in ms. Default 1000: a directory where
   * something writes all the time must not starve the mesh file's updates.
   */
  maxDelayMs?: number;
  /**
   * Also re-read every this many ms; 0 turns it off. Default 2000: fs.watch misses changes on
   * network filesystems, in some container mounts, and through a symlinked file; reading a small
   * file every two seconds costs nothing, and the content hash keeps it from emitting twice.
   */
  pollIntervalMs?: number;
  /** Names the file in messages; default the path as given. */
  source?: string;
  logger?: Logger;
  /** Where the source's metrics register; default prom-client's global registry. */
  registry?: Registry;
}

type ReadResult = { ok: true; update: MeshUpdate } | { ok: false; errors: MeshSourceError[] };

export class MeshFileSource implements MeshSource {
  /** The absolute path watched. */
  readonly path: string;
  private readonly name: string;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly pollIntervalMs: number;
  private readonly log: Logger;
  private readonly metrics: MeshSourceMetrics;
  private good?: MeshUpdate;

  constructor(path: string, opts: MeshFileSourceOptions = {}) {
    this.path = resolve(path);
    this.name = opts.source ?? path;
    this.debounceMs = opts.debounceMs ?? 50;
    this.maxDelayMs = opts.maxDelayMs ?? 1000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 2000;
    this.log = (opts.logger ?? defaultLogger()).child({ component: 'mesh-file-source', file: this.path });
    this.metrics = meshSourceMetrics(opts.registry);
  }

  /** The last valid spec read (by load or watch), if any. */
  get lastGood(): MeshUpdate | undefined {
    return this.good;
  }

  /** Reads the file once; throws MeshConfigError listing every problem (an unreadable file is one). */
  async load(): Promise<MeshUpdate> {
    const r = this.parse(await this.readText());
    if (!r.ok) throw new MeshConfigError(r.errors, this.name);
    this.good = r.update;
    return r.update;
  }

  /** The current state first (an update, or invalid), then every change, until `signal` aborts. */
  async *watch(signal: AbortSignal): AsyncGenerator<MeshSourceEvent> {
    const channel = new EventChannel<MeshSourceEvent>(coalesceMeshEvents);
    const dir = dirname(this.path);
    const file = basename(this.path);
    let lastContent: string | undefined; // hash of the bytes last read, or an error code
    let lastWasInvalid = false;
    let lastVersion: string | undefined; // of the last update this watch emitted
    let watcher: FSWatcher | undefined;
    let quietTimer: NodeJS.Timeout | undefined;
    let firstChangeAt: number | undefined;
    let pollTimer: NodeJS.Timeout | undefined;
    let checking: Promise<void> = Promise.resolve();

    const check = async (): Promise<void> => {
      let text: string | undefined;
      let readError: MeshSourceError | undefined;
      try {
        text = await this.readText();
      } catch (err) {
        readError = (err as MeshConfigError).errors[0];
      }
      if (signal.aborted) return;
      const content = text !== undefined ? createHash('sha256').update(text).digest('hex') : `error:${readError!.message}`;
      if (content === lastContent) return;
      lastContent = content;
      const r: ReadResult = text !== undefined ? this.parse(text) : { ok: false, errors: [readError!] };
      if (r.ok) {
        // An unchanged spec (a comment edited) is news only if the previous read was rejected.
        if (r.update.version === lastVersion && !lastWasInvalid) return;
        this.good = r.update;
        lastVersion = r.update.version;
        lastWasInvalid = false;
        this.log.info({ version: r.update.version, services: r.update.spec.services.length }, 'mesh file loaded');
        this.metrics.updatesTotal.inc({ source: 'file' });
        this.metrics.lastUpdate.set({ source: 'file' }, Date.now() / 1000);
        this.metrics.rejected.set({ source: 'file' }, 0);
        channel.push({ type: 'update', spec: r.update.spec, version: r.update.version, rejected: [] });
      } else {
        lastWasInvalid = true;
        this.metrics.rejectionsTotal.inc({ source: 'file' });
        this.metrics.rejected.set({ source: 'file' }, r.errors.length);
        this.log.warn({ errors: r.errors.map(formatMeshError), serving: this.good?.version }, this.good ? 'mesh file rejected; the last good mesh stays' : 'mesh file rejected; nothing to serve until it is fixed');
        channel.push(this.good ? { type: 'invalid', errors: r.errors, serving: this.good.version } : { type: 'invalid', errors: r.errors });
      }
    };
    const scheduleCheck = (): void => {
      checking = checking.then(check).catch((err: unknown) => this.log.error({ err: String(err) }, 'mesh file check failed'));
    };
    const onChange = (): void => {
      const now = Date.now();
      firstChangeAt ??= now;
      clearTimeout(quietTimer);
      const wait = Math.min(this.debounceMs, Math.max(0, firstChangeAt + this.maxDelayMs - now));
      quietTimer = setTimeout(() => {
        firstChangeAt = undefined;
        scheduleCheck();
      }, wait);
    };
    const startWatcher = (): void => {
      if (watcher || signal.aborted) return;
      try {
        // Persistent: a watch is work the caller asked for, so it keeps the process alive until aborted.
        watcher = fsWatch(dir, { persistent: true }, (_event, name) => {
          // Kubernetes' atomic writer swaps `..data`; a null name means "something here changed".
          if (name === null || name === file || String(name).startsWith('..')) onChange();
        });
        watcher.on('error', (err) => {
          this.log.warn(
            { err: err.message, dir },
            this.pollIntervalMs > 0 ? 'watching the mesh file directory failed; polling until it can be watched again' : 'watching the mesh file directory failed; changes are not seen until restart (set pollIntervalMs to recover)',
          );
          watcher?.close();
          watcher = undefined;
          onChange();
        });
      } catch (err) {
        this.log.warn({ err: (err as Error).message, dir }, this.pollIntervalMs > 0 ? 'cannot watch the mesh file directory; polling' : 'cannot watch the mesh file directory, and polling is off: changes are not seen');
      }
    };

    // Released on abort itself, not only in `finally`: a consumer that stops reading without
    // return() leaves the generator suspended, and the watcher would keep the process alive.
    const release = (): void => {
      channel.close();
      clearTimeout(quietTimer);
      clearInterval(pollTimer);
      watcher?.close();
      watcher = undefined;
    };
    const onAbort = (): void => release();
    if (signal.aborted) return;
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      startWatcher();
      if (this.pollIntervalMs > 0) {
        pollTimer = setInterval(() => {
          startWatcher();
          scheduleCheck();
        }, this.pollIntervalMs);
      }
      scheduleCheck();
      if (signal.aborted) return;
      for await (const ev of channel) yield ev;
    } finally {
      signal.removeEventListener('abort', onAbort);
      release();
      await checking;
    }
  }

  private async readText(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const message =
        code === 'ENOENT'
          ? `no such file (${this.path}); create it or fix the path`
          : code === 'EACCES'
            ? `cannot read ${this.path}: permission denied; make it readable by this user`
            : code === 'EISDIR'
              ? `${this.path} is a directory; pass the mesh file inside it`
              : `cannot read ${this.path}: ${(err as Error).message}`;
      throw new MeshConfigError([{ path: '', message, source: this.name }], this.name);
    }
  }

  private parse(text: string): ReadResult {
    const r = parseMeshFile(text, { source: this.name });
    if (!r.ok) return r;
    return { ok: true, update: { spec: r.spec, version: meshSpecVersion(r.spec) } };
  }
}
