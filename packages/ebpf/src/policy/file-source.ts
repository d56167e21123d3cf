/**
 * A policy YAML file as a stream of rule sets: the current one first, then one per change.
 *
 * It watches the file's directory, not the file: editors and `kubectl`-style tools save by
 * writing a temporary file and renaming it over the old one, which a watch on the file itself
 * loses. Bursts of events (write + chmod + rename) are debounced. A file that does not parse
 * yields an `error` update and the stream goes on: the engine keeps enforcing the last good rules.
 * Each version is parsed by one PolicyYamlParser, so a reload parses only the rules whose text
 * changed (a one-rule edit of a 10,000-rule file: one rule, not 10,000).
 *
 * ```ts
 * for await (const u of watchPolicyFile('rules.yaml', { signal })) {
 *   if (u.type === 'error') log.error(u.error.message); else engine.apply(u.spec);
 * }
 * ```
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { PolicyYamlParser, type PolicyParseStats } from './policy-yaml-parser.js';
import { PolicyConfigError, type PolicySpec } from './rules.js';

export type PolicyUpdate =
  | { type: 'spec'; spec: PolicySpec; source: string; detectedAt: number; parse?: PolicyParseStats }
  | { type: 'error'; error: PolicyConfigError; source: string; detectedAt: number; parse?: PolicyParseStats };

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
  // The last bytes read: an event without a change (touch, chmod) costs one memcmp, not a parse.
  let lastBytes: Buffer | undefined;
  const parser = new PolicyYamlParser(file);
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      dirty = false;
      const detectedAt = firstEventAt || performance.now();
      firstEventAt = 0;
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Between the unlink and the rename of a save: the next event brings the new file.
        if (code === 'ENOENT' && lastBytes !== undefined) continue;
        yield { type: 'error', source: file, detectedAt, error: new PolicyConfigError([{ path: '', file, message: `cannot read the policy file (${code ?? (e as Error).message}): create it or pass another --rules path` }]) };
        continue;
      }
      if (lastBytes?.equals(bytes)) continue; // touched, not changed
      lastBytes = bytes;
      const text = bytes.toString('utf8');
      let spec: PolicySpec;
      try {
        spec = parser.parse(text);
      } catch (e) {
        if (!(e instanceof PolicyConfigError)) throw e;
        yield { type: 'error', error: e, source: file, detectedAt, parse: parser.lastParse };
        continue;
      }
      yield { type: 'spec', spec, source: file, detectedAt, parse: parser.lastParse };
    }
  } finally {
    clearTimeout(timer);
    watcher.close();
    signal?.removeEventListener('abort', onAbort);
  }
}
