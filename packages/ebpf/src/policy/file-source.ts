/**
 * A policy YAML file as a stream of rule sets: the current one first, then one per change.
 *
 * It watches the file's directory, not the file: editors and `kubectl`-style tools save by
 * writing a temporary file and renaming it over the old one, which a watch on the file itself
 * loses. Bursts of events (write + chmod + rename) are debounced. A file that does not parse
 * yields an `error` update and the stream goes on: the engine keeps enforcing the last good rules.
 *
 * ```ts
 * for await (const u of watchPolicyFile('rules.yaml', { signal })) {
 *   if (u.type === 'error') log.error(u.error.message); else engine.apply(u.spec);
 * }
 * ```
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parsePolicyYaml } from './policy-yaml.js';
import { PolicyConfigError, type PolicySpec } from './rules.js';

export type PolicyUpdate =
  | { type: 'spec'; spec: PolicySpec; source: string; detectedAt: number }
  | { type: 'error'; error: PolicyConfigError; source: string; detectedAt: number };

export interface WatchPolicyFileOptions {
  signal?: AbortSignal;
  /**
   * Quiet time after the last event before the file is read. 10 ms covers the write/rename
   * bursts of editors and `cp`, and keeps an edit-to-enforcement time well under 100 ms.
   */
  debounceMs?: number;
}

export async function* watchPolicyFile(path: string, opts: WatchPolicyFileOptions = {}): AsyncGenerator<PolicyUpdate> {
  const file = resolve(path);
  const dir = dirname(file);
  const name = basename(file);
  const debounceMs = opts.debounceMs ?? 10;
  const signal = opts.signal;

  let wake: (() => void) | undefined;
  let dirty = true;
  let firstEventAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: true }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (!firstEventAt) firstEventAt = performance.now();
      clearTimeout(timer);
      timer = setTimeout(() => {
        dirty = true;
        poke();
      }, debounceMs);
    });
  } catch (e) {
    throw new PolicyConfigError([{ path: '', file, message: `cannot watch the directory ${dir} (${(e as Error).message}): check that it exists and is readable` }]);
  }
  const onAbort = (): void => poke();
  signal?.addEventListener('abort', onAbort);
  let lastHash = '';
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      dirty = false;
      const detectedAt = firstEventAt || performance.now();
      firstEventAt = 0;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Between the unlink and the rename of a save: the next event brings the new file.
        if (code === 'ENOENT' && lastHash) continue;
        yield { type: 'error', source: file, detectedAt, error: new PolicyConfigError([{ path: '', file, message: `cannot read the policy file (${code ?? (e as Error).message}): create it or pass another --rules path` }]) };
        continue;
      }
      const hash = createHash('sha256').update(text).digest('hex');
      if (hash === lastHash) continue; // touched, not changed
      lastHash = hash;
      try {
        yield { type: 'spec', spec: parsePolicyYaml(text, file), source: file, detectedAt };
      } catch (e) {
        if (!(e instanceof PolicyConfigError)) throw e;
        yield { type: 'error', error: e, source: file, detectedAt };
      }
    }
  } finally {
    clearTimeout(timer);
    watcher.close();
    signal?.removeEventListener('abort', onAbort);
  }
}
